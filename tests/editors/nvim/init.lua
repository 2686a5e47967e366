-- Test harness for a headless Neovim driven by tests/editors/nvim/runner.py.
--
-- Reads its settings from $MISTRAL_NVIM_TEST (JSON: plugin_dir, scenario, result, timeout_ms,
-- plus whatever the test passes), puts the plugin on 'runtimepath', then runs the scenario file
-- with a global `T` helper. Whatever happens, results go to the JSON file and Neovim quits.

local ok_cfg, cfg = pcall(vim.json.decode, os.getenv('MISTRAL_NVIM_TEST') or '')
if not ok_cfg or type(cfg) ~= 'table' then
  io.stderr:write('MISTRAL_NVIM_TEST is missing or not JSON: ' .. tostring(cfg) .. '\n')
  vim.cmd('cquit 3')
end

vim.opt.runtimepath:prepend(cfg.plugin_dir)
vim.o.swapfile = false
vim.o.shadafile = 'NONE'
vim.o.more = false
vim.o.columns = 120
vim.o.lines = 40
vim.lsp.log.set_level(os.getenv('MISTRAL_NVIM_LSP_LOG') or vim.log.levels.WARN)

T = { cfg = cfg, values = {}, logs = {}, failures = {} }

--- Record a value for the Python side to assert on.
function T.set(key, value)
  T.values[key] = value
end

function T.log(msg)
  T.logs[#T.logs + 1] = tostring(msg)
end

--- Record a failed expectation (the Python test turns these into assertion messages).
function T.fail(msg)
  T.failures[#T.failures + 1] = tostring(msg)
end

--- Let the main loop run for `ms` (typeahead, timers, RPC), then continue the scenario.
--- The scenario is a coroutine, so Neovim really returns to its main loop here: keys fed with
--- nvim_feedkeys are executed (insert mode, completion menu) while we sleep.
function T.sleep(ms)
  local co, is_main = coroutine.running()
  if co == nil or is_main then
    vim.wait(ms)
    return
  end
  vim.defer_fn(function()
    local ok, err = coroutine.resume(co)
    if not ok then
      T.finish(err)
    end
  end, ms)
  coroutine.yield()
end

--- Wait for `fn()` to be truthy; on timeout record `what` as a failure and return false.
function T.wait(ms, fn, what)
  local function check()
    local good, value = pcall(fn)
    return good and value and true or false
  end
  local deadline = vim.uv.now() + ms
  local ok = check()
  while not ok and vim.uv.now() < deadline do
    T.sleep(20)
    ok = check()
  end
  if not ok and what then
    T.fail('timed out after ' .. ms .. ' ms waiting for ' .. what)
  end
  return ok
end

--- The workspace file at `rel`, opened in the current window.
function T.open(rel)
  vim.cmd.edit(vim.fn.fnameescape(cfg.workspace .. '/' .. rel))
  return vim.api.nvim_get_current_buf()
end

--- The initialized mistral client attached to `bufnr`, or nil (recorded as a failure).
function T.client(bufnr, ms)
  local client
  T.wait(ms or 20000, function()
    client = vim.lsp.get_clients({ bufnr = bufnr, name = 'mistral_lsp' })[1]
    return client and client.initialized
  end, 'the mistral_lsp client to attach to buffer ' .. bufnr)
  return client
end

--- Wait until the statusline component reports `state` (e.g. "ready").
function T.wait_state(state, ms)
  return T.wait(ms or 20000, function()
    local st = require('mistral_lsp').status()
    return st and st.state == state
  end, 'mistral/status state ' .. state)
end

--- The usual start of a scenario: `T.setup(extra)`, `rel` opened, the client attached and the
--- server ready. Returns the buffer and the client (nil when it did not attach: recorded).
function T.ready(rel, extra)
  T.setup(extra)
  local buf = T.open(rel)
  local client = T.client(buf)
  T.wait_state('ready', 30000)
  return buf, client
end

--- The lines of a buffer as one string.
function T.text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr or 0, 0, -1, false), '\n')
end

--- The same configuration every scenario uses unless it wants something else.
function T.setup(extra)
  local opts = vim.tbl_deep_extend('force', {
    cmd = cfg.server_cmd,
    settings = cfg.settings,
    completion = { enabled = true, autotrigger = false },
  }, extra or {})
  require('mistral_lsp').setup(opts)
end

local finished = false

local function finish(err)
  if finished then
    return
  end
  finished = true
  if err then
    T.fail('scenario error: ' .. tostring(err))
  end
  local clients = {}
  for _, c in ipairs(vim.lsp.get_clients()) do
    clients[#clients + 1] = { id = c.id, name = c.name, root_dir = c.root_dir }
  end
  local messages = vim.api.nvim_exec2('messages', { output = true }).output
  local out = {
    values = T.values,
    logs = T.logs,
    failures = T.failures,
    clients = clients,
    messages = messages,
    nvim_version = tostring(vim.version()),
  }
  local f = assert(io.open(cfg.result, 'w'))
  f:write(vim.json.encode(out))
  f:close()
  vim.cmd('qa!')
end

T.finish = finish

local function run()
  local chunk, load_err = loadfile(cfg.scenario)
  if not chunk then
    finish(load_err)
    return
  end
  local co = coroutine.create(function()
    local ok, err = xpcall(chunk, debug.traceback)
    finish(not ok and err or nil)
  end)
  local ok, err = coroutine.resume(co)
  if not ok then
    finish(err)
  end
end

-- Watchdog: a scenario stuck outside vim.wait still writes its results.
vim.defer_fn(function()
  finish('watchdog: scenario still running after ' .. cfg.timeout_ms .. ' ms')
end, cfg.timeout_ms)

vim.api.nvim_create_autocmd('VimEnter', {
  once = true,
  callback = function()
    vim.schedule(run)
  end,
})
