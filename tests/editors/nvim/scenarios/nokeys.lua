-- setup() without `keymaps` creates no mappings; 0.11 gets completion items.
T.setup()
local buf = T.open('calc.py')
T.client(buf)
T.wait_state('ready', 30000)
local found = {}
for _, mode in ipairs({ 'i', 'n', 'x' }) do
  for _, m in ipairs(vim.api.nvim_buf_get_keymap(buf, mode)) do
    if m.desc and vim.startswith(m.desc, 'Mistral') then
      found[#found + 1] = mode .. ' ' .. m.lhs
    end
  end
end
T.set('maps', found)
T.set('completeopt', vim.bo[buf].completeopt)
T.set('has_inline', require('mistral_lsp').has_inline_completion())
