-- A multi-line AI completion accepted from the 0.11 menu lands whole, on several lines.
local buf, client = T.ready('calc.py')
if client == nil then
  return
end
-- A new function whose body is empty: the cursor on an indented empty line opens a block.
local n = vim.api.nvim_buf_line_count(buf)
vim.api.nvim_buf_set_lines(buf, n, n, false, { '', '', 'def median(values):', '    ' })
local row = n + 4
vim.api.nvim_win_set_cursor(0, { row, 0 })
vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('A', true, false, true), 'n', false)
T.wait(3000, function()
  return vim.fn.mode() == 'i'
end, 'insert mode')
vim.lsp.completion.get()
T.wait(20000, function()
  return #vim.fn.complete_info({ 'items' }).items > 0
end, 'the completion menu')
local info = vim.fn.complete_info({ 'items', 'selected' })
T.set('menu_labels', vim.tbl_map(function(i)
  return i.abbr
end, info.items))
local first = info.items[1] or {}
T.set('menu_first', { abbr = first.abbr, kind = first.kind, menu = first.menu, info = first.info })
local lsp_item = vim.tbl_get(first, 'user_data', 'nvim', 'lsp', 'completion_item') or {}
T.set('lsp_item', { kind = lsp_item.kind, documentation = lsp_item.documentation })
vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<C-y>', true, false, true), 'n', false)
T.wait(5000, function()
  return vim.api.nvim_buf_line_count(buf) > row
end, 'the accepted lines in the buffer')
T.set('cursor_after', vim.api.nvim_win_get_cursor(0))
vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<Esc>', true, false, true), 'n', false)
T.wait(2000, function()
  return vim.fn.mode() == 'n'
end, 'normal mode')
T.set('tail', table.concat(vim.api.nvim_buf_get_lines(buf, row - 2, -1, false), '\n'))
