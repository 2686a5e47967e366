-- Explain shows the server's Markdown in a floating window: through the Lua API (which goes
-- through client:exec_cmd()), the explain keymap on a Visual selection, and the code action.
local buf, client = T.ready('calc.py', { keymaps = true })
if client == nil then
  return
end
local markdown
require('mistral_lsp.commands').explain({
  bufnr = buf,
  line1 = 6,
  line2 = 7,
  on_done = function(_, md)
    markdown = md or false
  end,
})
T.wait(30000, function()
  return markdown ~= nil
end, 'the explanation')
T.set('markdown', markdown)
local floats = {}
for _, win in ipairs(vim.api.nvim_list_wins()) do
  local conf = vim.api.nvim_win_get_config(win)
  if conf.relative ~= '' then
    local fbuf = vim.api.nvim_win_get_buf(win)
    floats[#floats + 1] = {
      text = T.text(fbuf),
      filetype = vim.bo[fbuf].filetype,
    }
  end
end
T.set('floats', floats)

-- The same through the explain keymap (<leader>me, here \me) on a Visual selection: the
-- "Mistral: Explain" code action applied directly, and Visual mode left.
for _, win in ipairs(vim.api.nvim_list_wins()) do
  if vim.api.nvim_win_get_config(win).relative ~= '' then
    vim.api.nvim_win_close(win, true)
  end
end
vim.api.nvim_feedkeys('6GVj\\me', 'mt', false)
T.wait(30000, function()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= '' then
      return true
    end
  end
end, 'a floating window from the explain keymap')
T.set('command_float', true)
T.set('mode_after_keymap', vim.api.nvim_get_mode().mode)

-- And through the "Mistral: Explain" code action (the client-side mistral.explain handler).
local function close_floats()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= '' then
      vim.api.nvim_win_close(win, true)
    end
  end
end
close_floats()
vim.api.nvim_win_set_cursor(0, { 6, 0 })
vim.lsp.buf.code_action({
  apply = true,
  filter = function(action)
    return action.title == 'Mistral: Explain'
  end,
})
local float_text
T.wait(30000, function()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= '' then
      float_text = T.text(vim.api.nvim_win_get_buf(win))
      return true
    end
  end
end, 'a floating window from the "Mistral: Explain" code action')
T.set('action_float', float_text)
