-- :checkhealth mistral_lsp, optionally with a client attached.
T.setup({ cmd = T.cfg.cmd or T.cfg.server_cmd })
if T.cfg.open then
  local buf = T.open('calc.py')
  T.client(buf)
  T.wait_state(T.cfg.expect_state or 'ready', 30000)
end
vim.cmd('checkhealth mistral_lsp')
T.set('health', T.text(0))
