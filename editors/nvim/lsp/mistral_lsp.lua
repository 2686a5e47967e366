-- The mistral-lsp server config for Neovim 0.11+ (`:help lsp-config`).
--
-- With this directory on 'runtimepath', `vim.lsp.enable("mistral_lsp")` is all it takes.
-- Override any field with `vim.lsp.config("mistral_lsp", { ... })`, for example:
--
--   vim.lsp.config("mistral_lsp", {
--     cmd = { "/path/to/venv/bin/mistral-lsp", "serve" },
--     settings = { mistral = { endpoint = { preset = "custom", url = "https://mistral.internal" } } },
--   })

---@type vim.lsp.Config
return {
  cmd = { 'mistral-lsp', 'serve' },
  -- Every language the server indexes (Neovim filetype names).
  filetypes = {
    'c',
    'cpp',
    'cs',
    'go',
    'java',
    'javascript',
    'javascriptreact',
    'php',
    'python',
    'ruby',
    'rust',
    'typescript',
    'typescriptreact',
  },
  root_markers = { '.mistral-lsp.toml', '.git', '.hg', '.jj' },
  -- Answered to the server's `workspace/configuration` pull for section "mistral".
  settings = { mistral = vim.empty_dict() },
  -- The same section goes out as initializationOptions, so the very first request already
  -- sees the user's endpoint (the pull above only happens after `initialized`).
  before_init = function(params, config)
    local section = (config.settings or {}).mistral
    if params.initializationOptions == nil and type(section) == 'table' then
      params.initializationOptions = section
    end
  end,
  handlers = {
    ['mistral/status'] = function(err, result, ctx)
      require('mistral_lsp.status').on_status(err, result, ctx)
    end,
    ['window/showMessage'] = function(err, result, ctx, config)
      return require('mistral_lsp.status').on_show_message(err, result, ctx, config)
    end,
  },
  -- Client-side halves of server commands: ask for what the server needs, show what it returns.
  -- Code actions and the buffer-local commands (plugin/mistral_lsp.lua) reach them through
  -- client:exec_cmd().
  commands = {
    ['mistral.refactor'] = function(command, ctx)
      require('mistral_lsp.commands').refactor_command(command, ctx)
    end,
    ['mistral.explain'] = function(command, ctx)
      require('mistral_lsp.commands').explain_command(command, ctx)
    end,
  },
  on_exit = function(_, _, client_id)
    vim.schedule(function()
      require('mistral_lsp.status').forget(client_id)
    end)
  end,
}
