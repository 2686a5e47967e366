-- Completion on Neovim 0.11: the first item of textDocument/completion is the fake endpoint's
-- text, and the real insert-mode path (vim.lsp.completion, <C-y>) puts it in the buffer.
local buf, client = T.ready('calc.py', { completion = { enabled = true, autotrigger = true } })
if client == nil then
  return
end

-- Line 12 becomes "    return " with the cursor at its end.
local row = 12
vim.api.nvim_buf_set_lines(buf, row - 1, row, false, { '    return ' })
vim.api.nvim_win_set_cursor(0, { row, 11 })

-- What the server holds now (the debug command is the oracle for document sync).
local synced = client:request_sync('workspace/executeCommand', {
  command = 'mistral.debug.documentText',
  arguments = { vim.uri_from_bufnr(buf) },
}, 5000, buf)
local server_text = synced and synced.result and synced.result.text or ''
T.set('server_line', vim.split(server_text, '\n', { plain = true })[row])

-- Normal mode cannot put the cursor after the last character, so the position is built here.
local params = {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  position = { line = row - 1, character = 11 },
  context = { triggerKind = 1 },
}
local response = client:request_sync('textDocument/completion', params, 20000, buf)
if response == nil then
  T.fail('textDocument/completion: no response (timeout)')
elseif response.err then
  T.fail('textDocument/completion error: ' .. vim.inspect(response.err))
else
  local result = response.result or {}
  local items = result.items or result
  local plain = {}
  for i, item in ipairs(items) do
    if i > 10 then
      break
    end
    plain[#plain + 1] = {
      label = item.label,
      insertText = item.insertText,
      newText = item.textEdit and item.textEdit.newText or nil,
      command = item.command and item.command.command or nil,
      kind = item.kind,
    }
  end
  T.set('items', plain)
end

-- The user's path: insert mode at the end of the line, ask, pick the first item with <C-y>.
vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('A', true, false, true), 'n', false)
T.wait(3000, function()
  return vim.fn.mode() == 'i'
end, 'insert mode')
vim.lsp.completion.get()
T.wait(20000, function()
  return #vim.fn.complete_info({ 'items' }).items > 0
end, 'the completion menu')
local info = vim.fn.complete_info({ 'items', 'selected' })
local words, labels = {}, {}
for _, item in ipairs(info.items) do
  words[#words + 1] = item.word
  labels[#labels + 1] = item.abbr
end
T.set('menu', words)
T.set('menu_labels', labels)
T.set('menu_mode', vim.fn.mode(1) .. ' pum=' .. vim.fn.pumvisible())
T.set('menu_selected', info.selected)
if #words > 0 then
  local keys = info.selected == 0 and '<C-y>' or '<C-n><C-y>'
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), 'n', false)
  T.wait(5000, function()
    return vim.fn.pumvisible() == 0 and vim.api.nvim_buf_get_lines(buf, row - 1, row, false)[1] ~= '    return '
  end, 'the accepted item in the buffer')
end
vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<Esc>', true, false, true), 'n', false)
T.wait(2000, function()
  return vim.fn.mode() == 'n'
end, 'normal mode')
T.set('line_after', vim.api.nvim_buf_get_lines(buf, row - 1, row, false)[1])
T.set('buffer_after', T.text(buf))
