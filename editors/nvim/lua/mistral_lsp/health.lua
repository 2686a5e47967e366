-- :checkhealth mistral_lsp — is the server there, which version, which endpoint, is a key
-- set, and what the running servers last said. Reads everything from the server's own CLI
-- (`mistral-lsp --version`, `mistral-lsp config --json`) so it reports what the server sees.

local status = require('mistral_lsp.status')

local M = {}

M.MIN_VERSION = '0.1.0'
M.TIMEOUT_MS = 15000

local PRESET_URLS = {
  eu = 'https://api.eu.mistral.ai',
  codestral = 'https://codestral.mistral.ai',
}

--- The resolved `mistral_lsp` config (lsp/mistral_lsp.lua plus vim.lsp.config overrides).
---@return vim.lsp.Config?
local function resolved_config()
  local ok, config = pcall(function()
    return vim.lsp.config[status.CLIENT_NAME]
  end)
  return ok and config or nil
end

--- The command prefix that reaches the CLI: everything in `cmd` before "serve".
---@param cmd string[]
---@return string[]
function M.cli_prefix(cmd)
  local prefix = {}
  for _, part in ipairs(cmd) do
    if part == 'serve' then
      return prefix
    end
    prefix[#prefix + 1] = part
  end
  return { cmd[1] }
end

---@param argv string[]
---@param env? table<string, string>
---@param cwd? string
---@return vim.SystemCompleted?, string? error
local function run(argv, env, cwd)
  local ok, proc = pcall(vim.system, argv, { text = true, env = env, cwd = cwd })
  if not ok then
    return nil, tostring(proc)
  end
  local result = proc:wait(M.TIMEOUT_MS)
  if result.signal ~= 0 and result.code ~= 0 then
    return result, ('`%s` did not finish (signal %d)'):format(table.concat(argv, ' '), result.signal)
  end
  return result, nil
end

--- Parse "mistral-lsp 1.2.3" into {1, 2, 3}.
---@param text string
---@return string? version
function M.parse_version(text)
  return (text or ''):match('mistral%-lsp%s+v?(%d+%.%d+%.%d+)')
end

---@param a string
---@param b string
---@return boolean a >= b
local function version_at_least(a, b)
  local ok, cmp = pcall(function()
    return vim.version.cmp(vim.version.parse(a), vim.version.parse(b))
  end)
  return ok and cmp >= 0
end

--- Editor-side settings (the `mistral` section) a running or configured client sends.
---@param config vim.lsp.Config?
---@return table
local function editor_settings(config)
  local client = vim.lsp.get_clients({ name = status.CLIENT_NAME })[1]
  local settings = client and client.settings or (config and config.settings) or {}
  local section = settings.mistral
  local init = client and client.config.init_options or (config and config.init_options)
  local merged = vim.tbl_deep_extend(
    'force',
    {},
    type(init) == 'table' and init or {},
    type(section) == 'table' and section or {}
  )
  return merged
end

---@param report table<string, any>
---@param editor table
local function check_endpoint(report, editor)
  local endpoint = editor.endpoint or {}
  local function row(key)
    return report[key] or {}
  end
  local preset, preset_src = row('endpoint.preset').value, row('endpoint.preset').source
  local url, url_src = row('endpoint.url').value, row('endpoint.url').source
  local locked = vim.tbl_get(report, 'policy.locked', 'value') or {}
  local function editor_wins(key, name)
    return endpoint[name] ~= nil and not vim.list_contains(locked, key)
  end
  if editor_wins('endpoint.preset', 'preset') then
    preset, preset_src = endpoint.preset, 'editor settings'
  end
  if editor_wins('endpoint.url', 'url') then
    url, url_src = endpoint.url, 'editor settings'
  end
  local effective = preset == 'custom' and (url or '') or PRESET_URLS[preset] or ''
  if effective == '' then
    vim.health.error(
      ('endpoint: preset %q (%s) has no URL'):format(tostring(preset), tostring(preset_src)),
      { 'Set endpoint.url (e.g. https://mistral.internal.example) or use preset "eu".' }
    )
  else
    local from = preset == 'custom' and url_src or preset_src
    vim.health.ok(('endpoint: %s (preset %s, from %s)'):format(effective, preset, from))
  end
  local model = vim.tbl_get(report, 'models.completion', 'value')
  local chat = vim.tbl_get(report, 'models.chat', 'value')
  if model or chat then
    vim.health.info(('models: completion %s, chat %s'):format(tostring(model), tostring(chat)))
  end
end

---@param report table<string, any>
---@param editor table
---@param env table<string, string>?
local function check_key(report, editor, env)
  local key = report['endpoint.api_key'] or {}
  local env_name = vim.tbl_get(editor, 'endpoint', 'apiKeyEnv')
  local locked = vim.tbl_get(report, 'policy.locked', 'value') or {}
  if type(env_name) == 'string' and not vim.list_contains(locked, 'endpoint.api_key_env') then
    -- The editor names another variable: look for it in what the server process inherits.
    local value = (env or {})[env_name] or vim.env[env_name]
    if value and value ~= '' then
      vim.health.ok(('API key: set, from environment variable %s'):format(env_name))
      return
    end
  end
  if key.set then
    vim.health.ok('API key: set, from ' .. tostring(key.from))
  else
    local var = vim.tbl_get(report, 'endpoint.api_key_env', 'value') or 'MISTRAL_API_KEY'
    vim.health.error('API key: not set', {
      ('Export %s before starting Neovim, or set endpoint.api_key_file.'):format(var),
    })
  end
end

local function check_clients()
  local clients = vim.lsp.get_clients({ name = status.CLIENT_NAME })
  if #clients == 0 then
    vim.health.info('no mistral_lsp client running (open a file of a supported language)')
    return
  end
  for _, client in ipairs(clients) do
    local st = status.by_client[client.id]
    local where = ('client %d (root %s)'):format(client.id, client.root_dir or '-')
    if st == nil then
      vim.health.warn(where .. ': no mistral/status received yet')
    else
      local text = ('%s: %s'):format(where, table.concat(status.describe(st), ', '))
      if st.state == 'ready' then
        vim.health.ok(text)
      elseif st.state == 'error' or st.state == 'offline' then
        vim.health.warn(text, { 'Run `mistral-lsp doctor` in the project for details.' })
      else
        vim.health.info(text)
      end
    end
  end
end

function M.check()
  vim.health.start('mistral-lsp: Neovim')
  if vim.fn.has('nvim-0.11') == 1 then
    local v = vim.version()
    local mode = vim.lsp.inline_completion and 'inline completion' or 'completion items'
    vim.health.ok(('Neovim %d.%d.%d (%s)'):format(v.major, v.minor, v.patch, mode))
  else
    vim.health.error('Neovim 0.11 or newer is required')
    return
  end

  if vim.g.loaded_mistral_lsp == 1 then
    vim.health.ok('plugin/mistral_lsp.lua loaded: buffer-local commands on LspAttach')
  else
    vim.health.warn('plugin/mistral_lsp.lua not loaded: no :MistralRefactor, :MistralFix, :MistralStatus', {
      'Put editors/nvim on the runtimepath before startup (or let your plugin manager source plugin/).',
    })
  end

  vim.health.start('mistral-lsp: server')
  local config = resolved_config()
  if config == nil then
    vim.health.error('no `mistral_lsp` config', {
      'Put editors/nvim on the runtimepath (it provides lsp/mistral_lsp.lua).',
    })
    return
  end
  vim.health.ok('config lsp/mistral_lsp.lua found')
  local cmd = config.cmd
  if type(cmd) ~= 'table' or #cmd == 0 then
    vim.health.info('cmd is a function (custom transport): skipping the executable checks')
    check_clients()
    return
  end
  local exe = vim.fn.exepath(cmd[1])
  if exe == '' then
    vim.health.error(('server executable not found: %s'):format(cmd[1]), {
      'pip install mistral-lsp (into a venv on your PATH),',
      'or point cmd at it: vim.lsp.config("mistral_lsp", { cmd = { "/path/to/mistral-lsp", "serve" } })',
    })
    check_clients()
    return
  end
  local prefix = M.cli_prefix(cmd)
  prefix[1] = exe
  vim.health.ok('server executable: ' .. exe)
  vim.health.info('server command: ' .. table.concat(vim.list_extend({ exe }, cmd, 2), ' '))
  local env = config.cmd_env
  local result, err = run(vim.list_extend(vim.deepcopy(prefix), { '--version' }), env)
  local version = result and M.parse_version((result.stdout or '') .. (result.stderr or ''))
  if err or version == nil then
    vim.health.error('could not read the server version: ' .. (err or vim.trim(result.stdout or '')))
  elseif version_at_least(version, M.MIN_VERSION) then
    vim.health.ok('version: mistral-lsp ' .. version)
  else
    vim.health.warn(('version %s is older than %s'):format(version, M.MIN_VERSION), {
      'Upgrade the server: pip install -U mistral-lsp',
    })
  end

  vim.health.start('mistral-lsp: endpoint')
  local client = vim.lsp.get_clients({ name = status.CLIENT_NAME })[1]
  local root = client and client.root_dir or vim.fn.getcwd()
  local argv = vim.list_extend(vim.deepcopy(prefix), { 'config', '--json', '--workspace', root })
  result, err = run(argv, env, root)
  local ok, report = false, nil
  if result and result.code == 0 then
    ok, report = pcall(vim.json.decode, result.stdout or '')
  end
  if err or not ok or type(report) ~= 'table' then
    vim.health.error('`mistral-lsp config --json` failed: ' .. (err or (result and result.stderr) or ''))
  else
    local editor = editor_settings(config)
    check_endpoint(report, editor)
    check_key(report, editor, env)
    local problems = vim.trim(result and result.stderr or '')
    if problems ~= '' then
      vim.health.warn('configuration problems:\n' .. problems)
    end
  end

  vim.health.start('mistral-lsp: running servers')
  check_clients()
end

return M
