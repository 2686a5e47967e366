-- mistral-lsp: buffer-local commands for buffers a mistral_lsp client attaches to.
-- Nothing is global: the commands (:MistralRefactor, :MistralFix, :MistralStatus,
-- :MistralToggle) exist only where the server is attached, as nvim-lspconfig asks.
if vim.g.loaded_mistral_lsp == 1 then
  return
end
vim.g.loaded_mistral_lsp = 1

if vim.fn.has('nvim-0.11') == 0 then
  vim.notify_once('mistral-lsp needs Neovim 0.11 or newer', vim.log.levels.WARN)
  return
end

local CLIENT_NAME = 'mistral_lsp'
local group = vim.api.nvim_create_augroup('mistral_lsp.plugin', { clear = true })

vim.api.nvim_create_autocmd('LspAttach', {
  group = group,
  desc = 'mistral-lsp: buffer-local commands',
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client and client.name == CLIENT_NAME then
      require('mistral_lsp.commands').attach(client, args.buf)
    end
  end,
})

vim.api.nvim_create_autocmd('LspDetach', {
  group = group,
  desc = 'mistral-lsp: drop the buffer-local commands with the last client',
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client and client.name == CLIENT_NAME then
      require('mistral_lsp.commands').detach(args.buf, client.id)
    end
  end,
})

-- A server started outside lsp/mistral_lsp.lua (e.g. through a plugin manager's own config)
-- still feeds the statusline.
if vim.lsp.handlers['mistral/status'] == nil then
  vim.lsp.handlers['mistral/status'] = function(err, result, ctx)
    require('mistral_lsp.status').on_status(err, result, ctx)
  end
end
