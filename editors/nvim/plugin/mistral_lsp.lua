-- mistral-lsp user commands. Loaded once at startup; everything heavy is required lazily.
if vim.g.loaded_mistral_lsp == 1 then
  return
end
vim.g.loaded_mistral_lsp = 1

if vim.fn.has('nvim-0.11') == 0 then
  vim.notify_once('mistral-lsp needs Neovim 0.11 or newer', vim.log.levels.WARN)
  return
end

local function commands()
  return require('mistral_lsp.commands')
end

vim.api.nvim_create_user_command('MistralRefactor', function(args)
  local instruction = args.args ~= '' and args.args or nil
  commands().refactor({
    line1 = args.line1,
    line2 = args.line2,
    range = args.range,
    instruction = instruction,
  })
end, {
  range = true,
  nargs = '*',
  desc = 'Mistral: rewrite the lines (or selection) following an instruction',
})

vim.api.nvim_create_user_command('MistralExplain', function(args)
  commands().explain({ line1 = args.line1, line2 = args.line2, range = args.range })
end, { range = true, desc = 'Mistral: explain the lines (or selection) in a floating window' })

vim.api.nvim_create_user_command('MistralFix', function(args)
  commands().fix({ line1 = args.line1, line2 = args.line2 })
end, { range = true, desc = 'Mistral: fix the diagnostics on the lines (from any source)' })

vim.api.nvim_create_user_command('MistralStatus', function()
  commands().show_status()
end, { desc = 'Mistral: show the server state, endpoint and model' })

vim.api.nvim_create_user_command('MistralToggle', function()
  commands().toggle()
end, { desc = 'Mistral: turn AI completions off or on' })

-- A server started outside lsp/mistral_lsp.lua (e.g. through a plugin manager's own config)
-- still feeds the statusline.
if vim.lsp.handlers['mistral/status'] == nil then
  vim.lsp.handlers['mistral/status'] = function(err, result, ctx)
    require('mistral_lsp.status').on_status(err, result, ctx)
  end
end
