-- The documented way to refactor a selection: `V…` then the default `gra` mapping, the action
-- picked from the default vim.ui.select (inputlist). The instruction prompt must come at once
-- (the bug: ~4 s in Visual mode, keys typed meanwhile going to the selection), take what is
-- typed, and the buffer must be back in Normal mode after the edit.
local buf, client = T.ready('calc.py')
if client == nil then
  return
end

-- Which number the menu gives "Mistral: Refactor selection…" (lines 6-7, `add`).
local last = vim.api.nvim_buf_get_lines(buf, 6, 7, false)[1]
local response = client:request_sync('textDocument/codeAction', {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = { start = { line = 5, character = 0 }, ['end'] = { line = 6, character = #last } },
  context = { diagnostics = {}, triggerKind = 1 },
}, 20000, buf)
local index
for i, action in ipairs(response and response.result or {}) do
  if vim.startswith(action.title, 'Mistral: Refactor selection') then
    index = i
  end
end
if index == nil then
  T.fail('no "Mistral: Refactor selection" action: ' .. vim.inspect(response))
  return
end

local chosen_at, prompt
local select, input = vim.ui.select, vim.ui.input
vim.ui.select = function(items, opts, on_choice)
  T.set('select_mode', vim.api.nvim_get_mode().mode)
  -- The user reads the menu and types the number (the default menu is an inputlist()).
  vim.api.nvim_feedkeys(index .. '\r', 't', false)
  return select(items, opts, function(...)
    chosen_at = vim.uv.hrtime()
    return on_choice(...)
  end)
end
vim.ui.input = function(opts, on_confirm)
  prompt = {
    after_ms = chosen_at and (vim.uv.hrtime() - chosen_at) / 1e6 or -1,
    mode = vim.api.nvim_get_mode().mode,
    prompt = opts.prompt,
  }
  -- The user types the instruction into the real prompt (input()).
  vim.api.nvim_feedkeys(T.cfg.instruction .. '\r', 't', false)
  return input(opts, function(text)
    prompt.typed = text
    on_confirm(text)
  end)
end

local before = T.text(buf)
local keys = '6GVjgra'
vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), 'mt', false)
T.wait(15000, function()
  return prompt ~= nil
end, 'the instruction prompt')
T.set('prompt', prompt)
T.wait(30000, function()
  return T.text(buf) ~= before
end, 'the buffer to change after the refactor')
T.sleep(100)
T.set('after', T.text(buf))
T.set('mode_after', vim.api.nvim_get_mode().mode)
T.set('marks', { vim.api.nvim_buf_get_mark(buf, '<')[1], vim.api.nvim_buf_get_mark(buf, '>')[1] })
T.set('buffer_commands', vim.tbl_keys(vim.api.nvim_buf_get_commands(buf, {})))
T.set('global_commands', vim.tbl_filter(function(name)
  return vim.startswith(name, 'Mistral')
end, vim.tbl_keys(vim.api.nvim_get_commands({}))))
