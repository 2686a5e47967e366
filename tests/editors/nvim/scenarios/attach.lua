-- lsp/mistral_lsp.lua is a usable vim.lsp.Config: `vim.lsp.enable` alone starts the server.
-- Only the endpoint is configured (through `settings`); cmd is the default, found on PATH.
local files = vim.api.nvim_get_runtime_file('lsp/mistral_lsp.lua', true)
T.set('config_files', files)
local raw = dofile(files[1])
T.set('raw', {
  cmd = raw.cmd,
  filetypes = raw.filetypes,
  root_markers = raw.root_markers,
  status_handler = type((raw.handlers or {})['mistral/status']),
  show_message_handler = type((raw.handlers or {})['window/showMessage']),
  refactor_command = type((raw.commands or {})['mistral.refactor']),
  explain_command = type((raw.commands or {})['mistral.explain']),
})

vim.lsp.config('mistral_lsp', { settings = { mistral = T.cfg.settings } })
vim.lsp.enable('mistral_lsp')
T.set('resolved_cmd', vim.lsp.config.mistral_lsp.cmd)

local buf = T.open('calc.py')
T.set('filetype', vim.bo[buf].filetype)
local client = T.client(buf)
if client then
  T.set('root_dir', client.root_dir)
  T.set('offset_encoding', client.offset_encoding)
  T.set('server_info', client.server_info)
  T.set('provides', {
    completion = client:supports_method('textDocument/completion', buf),
    inline_completion = client:supports_method('textDocument/inlineCompletion', buf),
    code_action = client:supports_method('textDocument/codeAction', buf),
    execute_command = client:supports_method('workspace/executeCommand', buf),
  })
  local provider = client.server_capabilities.executeCommandProvider
  T.set('commands', type(provider) == 'table' and provider.commands or {})
end
T.wait_state('ready', 30000)
T.set('status', require('mistral_lsp').status())

-- A file type the server does not handle gets no client.
local txt = T.open('notes.txt')
T.sleep(200)
T.set('txt_clients', #vim.lsp.get_clients({ bufnr = txt, name = 'mistral_lsp' }))
