-- The buffer-local commands (:MistralRefactor, :MistralFix, :MistralStatus, :MistralToggle),
-- created on LspAttach for a mistral_lsp client, and the client-side handlers of the server
-- commands `mistral.refactor` and `mistral.explain`.
--
-- Everything goes through `client:exec_cmd()`. Neovim runs a client-side handler (the
-- `commands` field of lsp/mistral_lsp.lua) instead of sending workspace/executeCommand when
-- the command has one: the two handlers below fill in what only the editor can provide (the
-- refactor instruction, a window for the explanation), then send the command to the server
-- with a workspace/executeCommand request (exec_cmd() would dispatch back to the handler).
--
-- The Explain, Refactor, Add docstring… actions are code actions (`gra`): no command repeats
-- them. :MistralRefactor adds the instruction on the command line; :MistralFix adds the
-- diagnostics of every other source, which vim.lsp.buf.code_action() does not send us.

local status = require('mistral_lsp.status')

local M = {}

local EXECUTE = 'workspace/executeCommand'

---@param msg string
---@param level? integer
local function notify(msg, level)
  vim.notify('mistral-lsp: ' .. msg, level or vim.log.levels.INFO)
end

--- Leave Visual mode (the selection stays in '< and '>) when a choice for it was made.
---
--- Neovim 0.11 handles no events in Visual mode after the default vim.ui.select() (an
--- inputlist()) returned, until a key is pressed or about 4 s pass: choosing a code action
--- from `V…gra` left the codeAction/resolve answer, and so the instruction prompt, waiting
--- ~4 s while the keys typed meanwhile went to the Visual selection, and the buffer stayed in
--- Visual mode after the edit. Leaving Visual mode as soon as the action is chosen (Normal
--- mode handles events at once) fixes both. tests/editors/nvim/scenarios/visual_action.lua.
---@return boolean left
function M.leave_visual()
  local mode = vim.api.nvim_get_mode().mode
  if mode == 'v' or mode == 'V' or mode == '\22' then
    vim.cmd('normal! \27')
    return true
  end
  return false
end

--- The mistral client attached to a buffer, or nil (with a message saying why).
---@param bufnr integer
---@param quiet? boolean
---@return vim.lsp.Client?
function M.client_for(bufnr, quiet)
  local client = vim.lsp.get_clients({ bufnr = bufnr, name = status.CLIENT_NAME })[1]
  if client == nil and not quiet then
    notify('no mistral_lsp client is attached to this buffer', vim.log.levels.WARN)
  end
  return client
end

--- Every running mistral client (for commands that are not about one buffer).
---@return vim.lsp.Client[]
function M.all_clients()
  return vim.lsp.get_clients({ name = status.CLIENT_NAME })
end

--- The LSP character offset of a byte column, in the client's position encoding.
---@param bufnr integer
---@param row integer 0-based
---@param col integer byte column, 0-based
---@param encoding string
---@return integer
local function char_offset(bufnr, row, col, encoding)
  if col <= 0 then
    return 0
  end
  return vim.lsp.util.character_offset(bufnr, row, col, encoding)
end

--- An LSP range for an Ex command's line range, or for the last characterwise visual
--- selection when the range is that selection's lines ('<,'>).
---@param bufnr integer
---@param line1 integer 1-based first line
---@param line2 integer 1-based last line
---@param encoding string
---@param linewise? boolean  ignore the visual selection (the command got no range)
---@return lsp.Range
function M.range_for_lines(bufnr, line1, line2, encoding, linewise)
  local vstart = vim.api.nvim_buf_get_mark(bufnr, '<')
  local vend = vim.api.nvim_buf_get_mark(bufnr, '>')
  local charwise = not linewise
    and vim.fn.visualmode() == 'v'
    and vstart[1] == line1
    and vend[1] == line2
  if charwise then
    local last = vim.api.nvim_buf_get_lines(bufnr, line2 - 1, line2, false)[1] or ''
    -- '> is the byte index of the last selected character; the range end is exclusive.
    local end_byte = math.min(#last, vend[2] + #vim.fn.strcharpart(last:sub(vend[2] + 1), 0, 1))
    if vim.o.selection == 'exclusive' then
      end_byte = vend[2]
    end
    return {
      start = { line = line1 - 1, character = char_offset(bufnr, line1 - 1, vstart[2], encoding) },
      ['end'] = { line = line2 - 1, character = char_offset(bufnr, line2 - 1, end_byte, encoding) },
    }
  end
  local last = vim.api.nvim_buf_get_lines(bufnr, line2 - 1, line2, false)[1] or ''
  return {
    start = { line = line1 - 1, character = 0 },
    ['end'] = { line = line2 - 1, character = char_offset(bufnr, line2 - 1, #last, encoding) },
  }
end

---@param err? lsp.ResponseError
---@param what string
---@param client_id? integer
---@return boolean ok
local function report_error(err, what, client_id)
  if err then
    local message = err.message or vim.inspect(err)
    if not (client_id and status.recently_shown(client_id, message)) then
      notify(what .. ' failed: ' .. message, vim.log.levels.ERROR)
    end
    return false
  end
  return true
end

--- Show what is being waited for (the server's work-done progress follows on the same line).
---@param msg string
local function working(msg)
  -- A fresh command line: after a prompt, text echoed next to it asks for "Press ENTER".
  vim.cmd.redraw()
  vim.api.nvim_echo({ { 'mistral-lsp: ' .. msg } }, false, {})
end

--- Send `mistral.refactor` to the server once the instruction is known (the server half:
--- a request, as exec_cmd() would run the client-side handler again).
---@param client vim.lsp.Client
---@param bufnr integer
---@param arg {uri: string, range: lsp.Range, instruction?: string}
---@param on_done? fun(err: lsp.ResponseError?, result: any)
function M.send_refactor(client, bufnr, arg, on_done)
  local params = { command = 'mistral.refactor', arguments = { arg } }
  working('refactoring…')
  client:request(EXECUTE, params, function(err, result)
    if not err then
      working('refactor done')
    end
    report_error(err, 'refactor', client.id)
    if on_done then
      on_done(err, result)
    end
  end, bufnr)
end

--- `run(instruction)` with the given instruction, or with one asked for (nothing when cancelled).
---@param given string?
---@param run fun(instruction: string)
local function with_instruction(given, run)
  if type(given) == 'string' and given ~= '' then
    run(given)
    return
  end
  vim.ui.input({ prompt = 'Mistral refactor: ' }, function(input)
    if input ~= nil and vim.trim(input) ~= '' then
      run(input)
    end
  end)
end

--- Ask for an instruction (unless given), then refactor.
---@param client vim.lsp.Client
---@param bufnr integer
---@param arg {uri: string, range: lsp.Range, instruction?: string}
---@param on_done? fun(err: lsp.ResponseError?, result: any)
function M.refactor_with_instruction(client, bufnr, arg, on_done)
  with_instruction(arg.instruction, function(instruction)
    local with = vim.tbl_extend('force', arg, { instruction = instruction })
    M.send_refactor(client, bufnr, with, on_done)
  end)
end

--- Client-side handler of `mistral.refactor` (a code action's command, :MistralRefactor).
---@param command lsp.Command
---@param ctx {bufnr: integer, client_id: integer, on_done?: fun(err: lsp.ResponseError?, result: any)}
function M.refactor_command(command, ctx)
  M.leave_visual()
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local arg = (command.arguments or {})[1]
  if client == nil or type(arg) ~= 'table' then
    notify('mistral.refactor: missing client or arguments', vim.log.levels.ERROR)
    return
  end
  M.refactor_with_instruction(client, ctx.bufnr, arg, ctx.on_done)
end

--- Pull the Markdown text out of whatever shape the server returned.
---@param result any
---@return string?
function M.markdown_of(result)
  if type(result) == 'string' then
    return result
  end
  if type(result) == 'table' then
    for _, key in ipairs({ 'markdown', 'value', 'contents', 'text' }) do
      local v = result[key]
      if type(v) == 'string' then
        return v
      elseif type(v) == 'table' and type(v.value) == 'string' then
        return v.value
      end
    end
  end
  return nil
end

--- Show Markdown in a floating window next to the cursor; returns its buffer and window.
---@param markdown string
---@return integer bufnr, integer winid
function M.show_markdown(markdown)
  local lines = vim.split(markdown, '\n', { plain = true })
  return vim.lsp.util.open_floating_preview(lines, 'markdown', {
    border = 'rounded',
    focus_id = 'mistral_explain',
    max_width = math.max(40, math.floor(vim.o.columns * 0.8)),
    max_height = math.max(10, math.floor(vim.o.lines * 0.6)),
    title = ' Mistral: Explain ',
    title_pos = 'center',
  })
end

--- Send `mistral.explain` and show the answer in a float.
---@param client vim.lsp.Client
---@param bufnr integer
---@param arg {uri: string, range: lsp.Range}
---@param on_done? fun(err: lsp.ResponseError?, markdown: string?)
function M.send_explain(client, bufnr, arg, on_done)
  local params = { command = 'mistral.explain', arguments = { arg } }
  working('explaining…')
  client:request(EXECUTE, params, function(err, result)
    local markdown = nil
    if report_error(err, 'explain', client.id) then
      markdown = M.markdown_of(result)
      if markdown == nil or markdown == '' then
        notify('the server returned no explanation', vim.log.levels.WARN)
      else
        M.last_explanation = markdown
        working('explanation shown')
        M.show_markdown(markdown)
      end
    end
    if on_done then
      on_done(err, markdown)
    end
  end, bufnr)
end

--- Client-side handler of `mistral.explain` (a code action's command).
---@param command lsp.Command
---@param ctx {bufnr: integer, client_id: integer, on_done?: fun(err: lsp.ResponseError?, markdown: string?)}
function M.explain_command(command, ctx)
  M.leave_visual()
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local arg = (command.arguments or {})[1]
  if client == nil or type(arg) ~= 'table' then
    notify('mistral.explain: missing client or arguments', vim.log.levels.ERROR)
    return
  end
  M.send_explain(client, ctx.bufnr, arg, ctx.on_done)
end

---@class mistral_lsp.RangeOpts
---@field bufnr? integer
---@field line1? integer
---@field line2? integer
---@field range? integer  how many line numbers the Ex command got (0: none)
---@field instruction? string
---@field on_done? fun(err: lsp.ResponseError?, result: any)

---@param opts mistral_lsp.RangeOpts
---@return vim.lsp.Client?, integer, table?
local function target(opts)
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local client = M.client_for(bufnr)
  if client == nil then
    return nil, bufnr, nil
  end
  local cursor = vim.api.nvim_win_get_cursor(0)[1]
  local line1, line2 = opts.line1 or cursor, opts.line2 or cursor
  local arg = {
    uri = vim.uri_from_bufnr(bufnr),
    range = M.range_for_lines(bufnr, line1, line2, client.offset_encoding, opts.range == 0),
  }
  return client, bufnr, arg
end

--- Run a server command through client:exec_cmd() (and so through its client-side half).
---@param client vim.lsp.Client
---@param bufnr integer
---@param name string
---@param arg table
---@param on_done? function
local function exec(client, bufnr, name, arg, on_done)
  client:exec_cmd(
    { title = name, command = name, arguments = { arg } },
    { bufnr = bufnr, on_done = on_done }
  )
end

--- :MistralRefactor [instruction] — rewrite the lines (or selection) following an instruction,
--- asked for when not given.
---@param opts mistral_lsp.RangeOpts
function M.refactor(opts)
  local client, bufnr, arg = target(opts)
  if client == nil or arg == nil then
    return
  end
  with_instruction(opts.instruction, function(instruction)
    arg.instruction = instruction
    exec(client, bufnr, 'mistral.refactor', arg, opts.on_done)
  end)
end

--- Explain the lines (or selection) in a floating window (Lua API; the "Mistral: Explain"
--- code action does the same).
---@param opts mistral_lsp.RangeOpts
function M.explain(opts)
  local client, bufnr, arg = target(opts)
  if client == nil or arg == nil then
    return
  end
  exec(client, bufnr, 'mistral.explain', arg, opts.on_done)
end

--- The diagnostics of every source on lines line1..line2, as LSP diagnostics.
---@param bufnr integer
---@param line1 integer 1-based
---@param line2 integer 1-based
---@param encoding string
---@return lsp.Diagnostic[]
function M.lsp_diagnostics(bufnr, line1, line2, encoding)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.lnum >= line1 - 1 and d.lnum <= line2 - 1 then
      local end_lnum = d.end_lnum or d.lnum
      local end_col = d.end_col or d.col
      out[#out + 1] = {
        range = {
          start = { line = d.lnum, character = char_offset(bufnr, d.lnum, d.col, encoding) },
          ['end'] = { line = end_lnum, character = char_offset(bufnr, end_lnum, end_col, encoding) },
        },
        severity = d.severity,
        message = d.message,
        source = d.source,
        code = d.code,
      }
    end
  end
  return out
end

--- :MistralFix — offer "Mistral: Fix: …" for the diagnostics on the line(s), whichever tool
--- reported them. Neovim's own code_action() only sends a server the diagnostics that server
--- published, and mistral-lsp publishes none, so they are gathered here.
---@param opts mistral_lsp.RangeOpts
function M.fix(opts)
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local client = M.client_for(bufnr)
  if client == nil then
    return
  end
  local cursor = vim.api.nvim_win_get_cursor(0)[1]
  local line1, line2 = opts.line1 or cursor, opts.line2 or cursor
  local diagnostics = M.lsp_diagnostics(bufnr, line1, line2, client.offset_encoding)
  if #diagnostics == 0 then
    notify('no diagnostics to fix on ' .. (line1 == line2 and 'this line' or 'these lines'))
    return
  end
  local last = vim.api.nvim_buf_get_lines(bufnr, line2 - 1, line2, false)[1] or ''
  vim.lsp.buf.code_action({
    context = { diagnostics = diagnostics, only = { 'quickfix' } },
    range = { start = { line1, 0 }, ['end'] = { line2, math.max(#last - 1, 0) } },
    apply = true,
    filter = function(action)
      return vim.startswith(action.title or '', 'Mistral: Fix')
    end,
  })
end

--- :MistralToggle — turn AI completions off or on in every running server.
---@param on_done? fun(results: table<integer, any>)
function M.toggle(on_done)
  local clients = M.all_clients()
  if #clients == 0 then
    notify('no mistral_lsp server is running', vim.log.levels.WARN)
    return
  end
  local pending, results = #clients, {}
  for _, client in ipairs(clients) do
    local cmd = { title = 'toggle', command = 'mistral.toggleCompletions' }
    client:exec_cmd(cmd, {}, function(err, result)
      if report_error(err, 'toggle', client.id) then
        results[client.id] = result
        local enabled = result
        if type(result) == 'table' then
          enabled = result.enabled
        end
        if type(enabled) == 'boolean' then
          status.set_completions(client.id, enabled)
          notify('completions ' .. (enabled and 'on' or 'off'))
        end
      end
      pending = pending - 1
      if pending == 0 and on_done then
        on_done(results)
      end
    end)
  end
end

--- :MistralStatus — ask each server for its status (falling back to the last notification).
---@param on_done? fun(lines: string[])
function M.show_status(on_done)
  local clients = M.all_clients()
  if #clients == 0 then
    local lines = { 'mistral-lsp: no server running' }
    vim.api.nvim_echo({ { lines[1] } }, true, {})
    if on_done then
      on_done(lines)
    end
    return
  end
  local pending, lines = #clients, {}
  for _, client in ipairs(clients) do
    client:exec_cmd({ title = 'status', command = 'mistral.status' }, {}, function(err, result)
      local st = (not err and type(result) == 'table') and result or status.by_client[client.id]
      local header = ('mistral-lsp (client %d, root %s)'):format(client.id, client.root_dir or '-')
      lines[#lines + 1] = header
      if st then
        for _, line in ipairs(status.describe(st)) do
          lines[#lines + 1] = '  ' .. line
        end
      else
        lines[#lines + 1] = '  no status yet'
      end
      pending = pending - 1
      if pending == 0 then
        vim.api.nvim_echo({ { table.concat(lines, '\n') } }, true, {})
        if on_done then
          on_done(lines)
        end
      end
    end)
  end
end

--- The buffer-local commands, created on LspAttach for a mistral_lsp client (the convention of
--- nvim-lspconfig: nothing global, nothing before a server is there).
---@type table<string, {fn: fun(args: table), opts: vim.api.keyset.user_command}>
M.COMMANDS = {
  MistralRefactor = {
    fn = function(args)
      M.refactor({
        line1 = args.line1,
        line2 = args.line2,
        range = args.range,
        instruction = args.args ~= '' and args.args or nil,
      })
    end,
    opts = {
      range = true,
      nargs = '*',
      desc = 'Mistral: rewrite the lines (or selection) following an instruction (asked for when not given)',
    },
  },
  MistralFix = {
    fn = function(args)
      M.fix({ line1 = args.line1, line2 = args.line2 })
    end,
    opts = { range = true, desc = 'Mistral: fix the diagnostics of every source on the lines' },
  },
  MistralStatus = {
    fn = function()
      M.show_status()
    end,
    opts = { desc = 'Mistral: show the server state, endpoint and model' },
  },
  MistralToggle = {
    fn = function()
      M.toggle()
    end,
    opts = { desc = 'Mistral: turn AI completions off or on' },
  },
}

--- What a buffer gets when a mistral_lsp client attaches: the commands above, and Visual mode
--- left as soon as one of our code actions is chosen (see M.leave_visual).
---@param client vim.lsp.Client
---@param bufnr integer
function M.attach(client, bufnr)
  for name, spec in pairs(M.COMMANDS) do
    vim.api.nvim_buf_create_user_command(bufnr, name, spec.fn, spec.opts)
  end
  local group = vim.api.nvim_create_augroup('mistral_lsp.buffer.' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd('LspRequest', {
    group = group,
    buffer = bufnr,
    desc = 'mistral-lsp: leave Visual mode once a code action is chosen',
    callback = function(args)
      local data = args.data or {}
      local request = data.request or {}
      if
        data.client_id == client.id
        and request.type == 'pending'
        and (request.method == 'codeAction/resolve' or request.method == EXECUTE)
      then
        M.leave_visual()
      end
    end,
  })
end

--- Undo M.attach when the last mistral_lsp client leaves the buffer.
---@param bufnr integer
---@param client_id? integer  the client that is detaching
function M.detach(bufnr, client_id)
  for _, other in ipairs(vim.lsp.get_clients({ bufnr = bufnr, name = status.CLIENT_NAME })) do
    if other.id ~= client_id then
      return
    end
  end
  if not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  for name in pairs(M.COMMANDS) do
    pcall(vim.api.nvim_buf_del_user_command, bufnr, name)
  end
  pcall(vim.api.nvim_del_augroup_by_name, 'mistral_lsp.buffer.' .. bufnr)
end

return M
