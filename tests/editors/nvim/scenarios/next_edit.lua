-- Next-edit suggestions in Neovim: after renaming a parameter, the server's next edit is drawn
-- with extmarks (deletion highlighted, insertion as virtual text); the <Plug> mapping first
-- jumps to it, then applies it.
T.setup()
local ne = require('mistral_lsp.next_edit')
local buf = T.open('calc.py')
T.client(buf)
T.wait_state('ready', 30000)
local row = 9 -- 0-based: `def mean(values):`
local line = vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1]
local col = line:find('values', 1, true) - 1
vim.api.nvim_buf_set_text(buf, row, col, row, col + #'values', { 'items' })
vim.api.nvim_win_set_cursor(0, { row + 1, col })
T.sleep(T.cfg.debounce_ms + 100)
ne.request(buf)
T.wait(15000, function()
  return ne.current[buf] ~= nil
end, 'a next edit to be shown')
local marks = vim.api.nvim_buf_get_extmarks(buf, ne.ns, 0, -1, { details = true })
local shown = {}
for _, m in ipairs(marks) do
  local d = m[4]
  shown[#shown + 1] = {
    row = m[2],
    col = m[3],
    hl = d.hl_group,
    end_col = d.end_col,
    virt = d.virt_text and d.virt_text[1][1] or nil,
  }
end
T.set('marks', shown)
T.set('edit_line', ne.current[buf] and ne.current[buf].edit.range.start.line)
vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<Plug>(mistral-next-edit)', true, false, true), 'mx', false)
T.set('cursor_after_jump', vim.api.nvim_win_get_cursor(0))
vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<Plug>(mistral-next-edit)', true, false, true), 'mx', false)
T.set('line_after_apply', vim.api.nvim_buf_get_lines(buf, row + 1, row + 2, false)[1])
T.set('marks_after_apply', #vim.api.nvim_buf_get_extmarks(buf, ne.ns, 0, -1, {}))
