-- The last `mistral/status` each client sent, and the statusline text made from it.
--
-- The server notifies {state, message, endpoint, model}; state is one of starting, indexing,
-- ready, offline, error, disabled. Each notification also fires `User MistralStatus`, so a
-- statusline plugin can redraw or read `require("mistral_lsp").status()`.

local M = {}

M.CLIENT_NAME = 'mistral_lsp'

---@class mistral_lsp.Status
---@field state string
---@field message string
---@field endpoint string
---@field model string
---@field client_id integer
---@field time number  seconds since the epoch when it arrived

---@type table<integer, mistral_lsp.Status>
M.by_client = {}
---@type integer?
M.last_client = nil

--- Whether completions are on, per client, as the last :MistralToggle reply said.
---@type table<integer, boolean>
M.completions = {}

---@type table<string, string>
M.LABELS = {
  starting = 'starting',
  indexing = 'indexing',
  ready = 'ready',
  offline = 'offline',
  error = 'error',
  disabled = 'off',
}

--- Handler for the `mistral/status` notification.
---@param err? lsp.ResponseError
---@param result any
---@param ctx lsp.HandlerContext
function M.on_status(err, result, ctx)
  if err or type(result) ~= 'table' or ctx == nil then
    return
  end
  local function str(v)
    return type(v) == 'string' and v or ''
  end
  local status = {
    state = str(result.state),
    message = str(result.message),
    endpoint = str(result.endpoint),
    model = str(result.model),
    client_id = ctx.client_id,
    time = os.time(),
  }
  M.by_client[ctx.client_id] = status
  M.last_client = ctx.client_id
  M._changed(status)
end

--- The last window/showMessage text per client, so an error the server already showed is
--- not shown a second time when the same request also fails.
---@type table<integer, {message: string, time: number}>
M.shown = {}

--- Handler for window/showMessage: remember the text, then show it the usual way.
---@param err? lsp.ResponseError
---@param result lsp.ShowMessageParams
---@param ctx lsp.HandlerContext
function M.on_show_message(err, result, ctx, config)
  if type(result) == 'table' and type(result.message) == 'string' and ctx then
    M.shown[ctx.client_id] = { message = result.message, time = vim.uv.now() }
  end
  return vim.lsp.handlers['window/showMessage'](err, result, ctx, config)
end

--- Whether this client showed exactly `message` in the last few seconds.
---@param client_id integer
---@param message string
---@return boolean
function M.recently_shown(client_id, message)
  local shown = M.shown[client_id]
  return shown ~= nil and shown.message == message and vim.uv.now() - shown.time < 10000
end

--- Drop what a stopped client said.
---@param client_id integer
function M.forget(client_id)
  M.completions[client_id] = nil
  M.shown[client_id] = nil
  if M.by_client[client_id] == nil then
    return
  end
  M.by_client[client_id] = nil
  if M.last_client == client_id then
    M.last_client = next(M.by_client)
  end
  M._changed(nil)
end

---@param status mistral_lsp.Status?
function M._changed(status)
  local data = status and vim.deepcopy(status) or {}
  local function fire()
    vim.api.nvim_exec_autocmds('User', { pattern = 'MistralStatus', modeline = false, data = data })
    pcall(vim.cmd.redrawstatus, { bang = true })
  end
  if vim.in_fast_event() then
    vim.schedule(fire)
  else
    fire()
  end
end

---@param client_id integer
---@return boolean
local function alive(client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  return client ~= nil and not client:is_stopped()
end

--- Remember a :MistralToggle reply; a ready server with completions off shows as "off".
---@param client_id integer
---@param enabled boolean
function M.set_completions(client_id, enabled)
  M.completions[client_id] = enabled
  M._changed(M.by_client[client_id])
end

--- The status that matters for a buffer: its attached mistral client's, else the newest one.
---@param bufnr? integer
---@return mistral_lsp.Status?
function M.get(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if vim.api.nvim_buf_is_valid(bufnr) then
    for _, client in ipairs(vim.lsp.get_clients({ bufnr = bufnr, name = M.CLIENT_NAME })) do
      if M.by_client[client.id] then
        return M.by_client[client.id]
      end
    end
  end
  if M.last_client and M.by_client[M.last_client] and alive(M.last_client) then
    return M.by_client[M.last_client]
  end
  return nil
end

--- Statusline text, e.g. "Mistral: ready"; "" when no server has spoken yet.
--- opts.host appends the endpoint's host ("@ api.eu.mistral.ai"), opts.model the model.
---@param opts? {bufnr?: integer, model?: boolean, host?: boolean, prefix?: string}
---@return string
function M.statusline(opts)
  opts = opts or {}
  local status = M.get(opts.bufnr)
  if status == nil or status.state == '' then
    return ''
  end
  local state = status.state
  if state == 'ready' and M.completions[status.client_id] == false then
    state = 'disabled'
  end
  local text = (opts.prefix or 'Mistral: ') .. (M.LABELS[state] or state)
  if opts.host and status.endpoint ~= '' then
    text = text .. ' @ ' .. (status.endpoint:match('^%a[%w+.-]*://([^/]+)') or status.endpoint)
  end
  if opts.model and status.model ~= '' then
    text = text .. ' (' .. status.model .. ')'
  end
  return text
end

--- Lines describing a status, for :MistralStatus and :checkhealth.
---@param status table
---@return string[]
function M.describe(status)
  local lines = { 'state: ' .. tostring(status.state or '?') }
  if status.message and status.message ~= '' then
    lines[#lines + 1] = 'message: ' .. status.message
  end
  if status.endpoint and status.endpoint ~= '' then
    lines[#lines + 1] = 'endpoint: ' .. status.endpoint
  end
  if status.model and status.model ~= '' then
    lines[#lines + 1] = 'model: ' .. status.model
  end
  if type(status.counters) == 'table' and next(status.counters) ~= nil then
    local parts = {}
    for key, value in vim.spairs(status.counters) do
      parts[#parts + 1] = ('%s=%s'):format(key, tostring(value))
    end
    lines[#lines + 1] = 'counters: ' .. table.concat(parts, ' ')
  end
  return lines
end

return M
