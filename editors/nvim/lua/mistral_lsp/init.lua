-- mistral-lsp for Neovim: `require("mistral_lsp").setup(opts)`.
--
-- setup() layers `opts` over the config in lsp/mistral_lsp.lua with vim.lsp.config(), turns on
-- completion when a client attaches (inline completion on 0.12+, completion items on 0.11) and
-- enables the server. Keymaps are created only when `opts.keymaps` asks for them.
-- Plain `vim.lsp.enable("mistral_lsp")` works without setup(); it just does not turn on
-- automatic completion (use <C-x><C-o>, or call setup()).

local status = require('mistral_lsp.status')
local commands = require('mistral_lsp.commands')

local M = {}

---@class mistral_lsp.Keymaps
---@field accept? string|false    insert mode: accept the inline suggestion (0.12+)
---@field next? string|false      insert mode: show the next inline suggestion (0.12+)
---@field trigger? string|false   insert mode: ask for a completion now
---@field refactor? string|false  normal/visual: :MistralRefactor (asks for the instruction)
---@field explain? string|false   normal/visual: the "Mistral: Explain" code action
---@field fix? string|false       normal: :MistralFix
---@field toggle? string|false    normal: :MistralToggle

---@class mistral_lsp.Options
---@field cmd? string[]|fun(...): vim.lsp.rpc.PublicClient  how to start the server
---@field cmd_env? table<string, string>  extra environment for the server process
---@field filetypes? string[]
---@field root_markers? string[]
---@field settings? table   the server's settings (nested, camelCase), e.g. {endpoint = {...}}
---@field completion? {enabled?: boolean, autotrigger?: boolean, on_typing?: boolean, completeopt?: string|false}
---@field keymaps? boolean|mistral_lsp.Keymaps  true: the defaults below; false/nil: none
---@field enable? boolean   call vim.lsp.enable("mistral_lsp") (default true)

---@type mistral_lsp.Options
M.defaults = {
  cmd = nil,
  cmd_env = nil,
  filetypes = nil,
  root_markers = nil,
  settings = {},
  completion = {
    enabled = true,
    -- 0.11: open the completion menu on the server's trigger characters.
    autotrigger = true,
    -- 0.11: also ask while typing identifiers (every letter/digit/_ is a trigger).
    on_typing = false,
    -- 0.11: buffer-local 'completeopt' for attached buffers. "menuone" shows the menu even
    -- for the single AI item and "noinsert" keeps it out of the line until <C-y>.
    -- false leaves 'completeopt' alone.
    completeopt = 'menuone,noinsert,popup',
  },
  keymaps = false,
  enable = true,
}

---@type mistral_lsp.Keymaps
M.default_keymaps = {
  accept = '<Tab>',
  next = '<M-]>',
  trigger = '<C-Space>',
  refactor = '<leader>mr',
  explain = '<leader>me',
  fix = '<leader>mf',
  toggle = '<leader>mt',
}

---@type mistral_lsp.Options
M.options = vim.deepcopy(M.defaults)

--- Whether this Neovim has native inline completion (0.12+).
---@return boolean
function M.has_inline_completion()
  return vim.lsp.inline_completion ~= nil and vim.lsp.inline_completion.enable ~= nil
end

local IDENT_CHARS = vim.split('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_', '')

--- Neovim 0.11 inserts only the first word of a plain-text item's textEdit (up to the first
--- whitespace) and expands the full text only for snippets. The AI item is plain text, so when
--- it is accepted the rest of its text is inserted here.
---@param client vim.lsp.Client
---@param bufnr integer
local function complete_rest_of_item(client, bufnr)
  local group = vim.api.nvim_create_augroup('mistral_lsp.complete.' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd('CompleteDone', {
    group = group,
    buffer = bufnr,
    desc = 'mistral-lsp: insert the whole accepted AI completion',
    callback = function()
      if vim.v.event.reason ~= 'accept' then
        return
      end
      local completed = vim.v.completed_item or {}
      local data = vim.tbl_get(completed, 'user_data', 'nvim', 'lsp') or {}
      local item = data.completion_item
      if data.client_id ~= client.id or type(item) ~= 'table' or item.insertTextFormat == 2 then
        return
      end
      local new_text = item.textEdit and item.textEdit.newText or item.insertText
      local word = completed.word or ''
      if type(new_text) ~= 'string' or new_text == word or not vim.startswith(new_text, word) then
        return
      end
      local win = vim.fn.bufwinid(bufnr)
      if win == -1 then
        return
      end
      local row, col = unpack(vim.api.nvim_win_get_cursor(win))
      local line = vim.api.nvim_buf_get_lines(bufnr, row - 1, row, false)[1] or ''
      if line:sub(col - #word + 1, col) ~= word then
        return -- the line is not what the menu left behind; do not guess
      end
      local rest = vim.split(new_text:sub(#word + 1), '\n', { plain = true })
      vim.api.nvim_buf_set_text(bufnr, row - 1, col, row - 1, col, rest)
      local last_row = row + #rest - 1
      local last_col = (#rest == 1 and col or 0) + #rest[#rest]
      vim.api.nvim_win_set_cursor(win, { last_row, last_col })
    end,
  })
end

--- Widest first line of the AI item in the 0.11 menu, in display cells.
M.ABBR_WIDTH = 40

---@param text string
---@param width integer
---@return string
local function shorten(text, width)
  if vim.fn.strdisplaywidth(text) <= width then
    return text
  end
  local out = text
  while vim.fn.strdisplaywidth(out) > width - 1 do
    out = vim.fn.strcharpart(out, 0, vim.fn.strchars(out) - 1)
  end
  return out .. '…'
end

--- How an item looks in the Neovim 0.11 completion menu (the `convert` option of
--- vim.lsp.completion.enable). The AI item is kept narrow: a menu as wide as its first line
--- plus the model name left the documentation popup 13 columns and cut the detail at the
--- screen edge. Its kind reads "Mistral", the menu column says how many more lines follow, and
--- the popup shows the whole text. Other items (other servers' too: `convert` is per buffer)
--- are left as they are.
---@param item lsp.CompletionItem
---@return table  fields of |complete-items| that replace the defaults
function M.complete_item(item)
  local command = item.command
  if type(command) ~= 'table' or command.command ~= 'mistral.accepted' then
    return {}
  end
  local text = item.textEdit and item.textEdit.newText or item.insertText or item.label
  local lines = vim.split(vim.trim(text), '\n', { plain = true })
  local more = #lines - 1
  return {
    abbr = shorten(item.label, M.ABBR_WIDTH),
    kind = 'Mistral',
    menu = more > 0 and ('+%d line%s'):format(more, more == 1 and '' or 's') or '',
    info = text,
  }
end

---@param client vim.lsp.Client
---@param bufnr integer
local function enable_completion(client, bufnr)
  local opts = M.options.completion or {}
  if opts.enabled == false then
    return
  end
  if M.has_inline_completion() and client:supports_method('textDocument/inlineCompletion', bufnr) then
    vim.lsp.inline_completion.enable(true, { bufnr = bufnr, client_id = client.id })
    return
  end
  if not client:supports_method('textDocument/completion', bufnr) then
    return
  end
  if opts.on_typing then
    local provider = client.server_capabilities.completionProvider
    if type(provider) == 'table' then
      local triggers = provider.triggerCharacters or {}
      for _, c in ipairs(IDENT_CHARS) do
        if not vim.list_contains(triggers, c) then
          triggers[#triggers + 1] = c
        end
      end
      provider.triggerCharacters = triggers
    end
  end
  if opts.completeopt then
    vim.bo[bufnr].completeopt = opts.completeopt
  end
  complete_rest_of_item(client, bufnr)
  vim.lsp.completion.enable(true, client.id, bufnr, {
    autotrigger = opts.autotrigger ~= false,
    convert = M.complete_item,
  })
end

---@param bufnr integer
local function set_keymaps(bufnr)
  local keys = M.options.keymaps
  if not keys then
    return
  end
  keys = keys == true and M.default_keymaps or vim.tbl_extend('force', M.default_keymaps, keys)
  local function map(mode, lhs, rhs, desc, extra)
    if lhs then
      vim.keymap.set(mode, lhs, rhs, vim.tbl_extend('force', { buffer = bufnr, desc = desc }, extra or {}))
    end
  end
  if M.has_inline_completion() then
    map('i', keys.accept, function()
      -- expr mappings replace keycodes, so falling back to the key itself is enough.
      return vim.lsp.inline_completion.get() and '' or keys.accept
    end, 'Mistral: accept suggestion', { expr = true })
    map('i', keys.next, function()
      vim.lsp.inline_completion.select({ count = 1 })
    end, 'Mistral: next suggestion')
    map('i', keys.trigger, function()
      vim.lsp.inline_completion.get()
    end, 'Mistral: suggest')
  else
    map('i', keys.trigger, function()
      vim.lsp.completion.get()
    end, 'Mistral: complete')
  end
  map('n', keys.refactor, '<Cmd>MistralRefactor<CR>', 'Mistral: refactor line')
  map('x', keys.refactor, ':MistralRefactor<CR>', 'Mistral: refactor selection')
  local function explain()
    vim.lsp.buf.code_action({
      apply = true,
      filter = function(action)
        return action.title == 'Mistral: Explain'
      end,
    })
  end
  map({ 'n', 'x' }, keys.explain, explain, 'Mistral: explain (code action)')
  map('n', keys.fix, '<Cmd>MistralFix<CR>', 'Mistral: fix diagnostics on the line')
  map('n', keys.toggle, '<Cmd>MistralToggle<CR>', 'Mistral: toggle completions')
end

--- What setup() does for each buffer a mistral client attaches to.
---@param client vim.lsp.Client
---@param bufnr integer
function M.on_attach(client, bufnr)
  enable_completion(client, bufnr)
  set_keymaps(bufnr)
  if M.options.next_edit ~= false then
    require('mistral_lsp.next_edit').attach(bufnr)
  end
end

--- Configure (and by default enable) the server.
---@param opts? mistral_lsp.Options
function M.setup(opts)
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  local o = M.options
  local config = {}
  for _, key in ipairs({ 'cmd', 'cmd_env', 'filetypes', 'root_markers' }) do
    if o[key] ~= nil then
      config[key] = o[key]
    end
  end
  if o.settings and next(o.settings) ~= nil then
    config.settings = { mistral = o.settings }
    config.init_options = o.settings
  end
  vim.lsp.config(status.CLIENT_NAME, config)

  local group = vim.api.nvim_create_augroup('mistral_lsp.setup', { clear = true })
  vim.api.nvim_create_autocmd('LspAttach', {
    group = group,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == status.CLIENT_NAME then
        M.on_attach(client, args.buf)
      end
    end,
  })
  -- Buffers a client is already attached to (setup() called late).
  for _, client in ipairs(vim.lsp.get_clients({ name = status.CLIENT_NAME })) do
    for bufnr in pairs(client.attached_buffers) do
      commands.attach(client, bufnr)
      M.on_attach(client, bufnr)
    end
  end

  if o.enable ~= false then
    vim.lsp.enable(status.CLIENT_NAME)
  end
end

--- Change the server's settings while it runs: merged into each running client's `mistral`
--- section and sent with workspace/didChangeConfiguration (the server re-reads its layers;
--- policy-locked keys stay as the policy says). Also kept for servers started later.
---@param settings table  nested, camelCase, like `settings` in setup()
function M.update_settings(settings)
  M.options.settings = vim.tbl_deep_extend('force', M.options.settings or {}, settings)
  vim.lsp.config(status.CLIENT_NAME, {
    settings = { mistral = M.options.settings },
    init_options = M.options.settings,
  })
  for _, client in ipairs(vim.lsp.get_clients({ name = status.CLIENT_NAME })) do
    local current = type(client.settings.mistral) == 'table' and client.settings.mistral or {}
    client.settings.mistral = vim.tbl_deep_extend('force', current, settings)
    client:notify('workspace/didChangeConfiguration', { settings = client.settings })
  end
end

--- Statusline component: "Mistral: ready", or "" while no server has reported.
---@param opts? {bufnr?: integer, model?: boolean, host?: boolean, prefix?: string}
---@return string
function M.statusline(opts)
  return status.statusline(opts)
end

--- The last `mistral/status` for the current buffer (or nil).
---@param bufnr? integer
---@return mistral_lsp.Status?
function M.status(bufnr)
  return status.get(bufnr)
end

M.refactor = commands.refactor
M.fix = commands.fix
M.explain = commands.explain
M.toggle = commands.toggle
M.show_status = commands.show_status

return M
