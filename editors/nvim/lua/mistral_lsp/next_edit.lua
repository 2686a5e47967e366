-- Next-edit suggestions from mistral-lsp (`textDocument/copilotInlineEdit`).
--
-- After a pause in typing (and on leaving insert mode) the server is asked what edit follows
-- the recent ones. The answer is drawn with extmarks: the text to replace is highlighted as a
-- deletion, the new text shown as virtual text. `<Plug>(mistral-next-edit)` jumps to the edit
-- if the cursor is elsewhere, and applies it when the cursor is on it; `<Plug>(mistral-next-
-- edit-dismiss)` drops it. The server debounces and cancels on its own; this module only
-- asks once per pause and forgets a suggestion as soon as the buffer changes.

local M = {}

M.ns = vim.api.nvim_create_namespace('mistral_lsp.next_edit')
M.METHOD = 'textDocument/copilotInlineEdit'
M.DISMISSED = 'mistral.nextEditDismissed'

---@class mistral_lsp.NextEdit
---@field range lsp.Range
---@field text string
---@field textDocument lsp.VersionedTextDocumentIdentifier
---@field command? lsp.Command

---@type table<integer, {edit: mistral_lsp.NextEdit, client_id: integer}>
M.current = {}
local timers = {} ---@type table<integer, uv.uv_timer_t>

vim.api.nvim_set_hl(0, 'MistralNextEditDelete', { link = 'DiffDelete', default = true })
vim.api.nvim_set_hl(0, 'MistralNextEditInsert', { link = 'DiffAdd', default = true })
vim.api.nvim_set_hl(0, 'MistralNextEditSign', { link = 'DiagnosticHint', default = true })

--- Clear what is shown for `bufnr` (and tell the server when the user dismissed it).
---@param bufnr integer
---@param dismissed? boolean
function M.clear(bufnr, dismissed)
  local shown = M.current[bufnr]
  M.current[bufnr] = nil
  if vim.api.nvim_buf_is_valid(bufnr) then
    vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  end
  if dismissed and shown and shown.edit.command then
    local client = vim.lsp.get_client_by_id(shown.client_id)
    if client then
      client:exec_cmd({ title = 'dismissed', command = M.DISMISSED, arguments = shown.edit.command.arguments })
    end
  end
end

--- Byte column of an LSP position, in the client's encoding.
local function col_of(bufnr, pos, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, pos.line, pos.line + 1, false)[1] or ''
  return vim.str_byteindex(line, encoding, pos.character, false)
end

--- Draw `edit`: the replaced range as a deletion, the new text as virtual text after it.
---@param bufnr integer
---@param edit mistral_lsp.NextEdit
---@param client vim.lsp.Client
function M.show(bufnr, edit, client)
  M.clear(bufnr)
  local enc = client.offset_encoding or 'utf-16'
  local r = edit.range
  local sc, ec = col_of(bufnr, r.start, enc), col_of(bufnr, r['end'], enc)
  if r.start.line ~= r['end'].line or sc ~= ec then
    vim.api.nvim_buf_set_extmark(bufnr, M.ns, r.start.line, sc, {
      end_row = r['end'].line,
      end_col = ec,
      hl_group = 'MistralNextEditDelete',
    })
  end
  local lines = vim.split(edit.text, '\n', { plain = true })
  local opts = { sign_text = '»', sign_hl_group = 'MistralNextEditSign' }
  if lines[1] ~= '' then
    opts.virt_text = { { lines[1], 'MistralNextEditInsert' } }
    opts.virt_text_pos = 'inline'
  end
  local below = {}
  for i = 2, #lines do
    if not (i == #lines and lines[i] == '') then
      table.insert(below, { { lines[i], 'MistralNextEditInsert' } })
    end
  end
  if #below > 0 then
    opts.virt_lines = below
  end
  vim.api.nvim_buf_set_extmark(bufnr, M.ns, r['end'].line, ec, opts)
  M.current[bufnr] = { edit = edit, client_id = client.id }
  client:notify('textDocument/didShowInlineEdit', { item = { command = edit.command } })
end

--- Ask the server for the next edit at the cursor of the current window.
---@param bufnr? integer
function M.request(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = vim.lsp.get_clients({ bufnr = bufnr, name = 'mistral_lsp', method = M.METHOD })[1]
  if not client then
    return
  end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  params.textDocument.version = vim.lsp.util.buf_versions[bufnr]
  client:request(M.METHOD, params, function(err, result)
    if err or not result or not result.edits or not result.edits[1] then
      return
    end
    local edit = result.edits[1]
    if edit.textDocument.version ~= vim.lsp.util.buf_versions[bufnr] then
      return -- typed since: the edit would not fit
    end
    M.show(bufnr, edit, client)
  end, bufnr)
end

--- Apply the shown edit (and tell the server it was accepted).
---@param bufnr? integer
---@return boolean applied
function M.apply(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local shown = M.current[bufnr]
  if not shown then
    return false
  end
  local client = vim.lsp.get_client_by_id(shown.client_id)
  M.clear(bufnr)
  if not client then
    return false
  end
  local edit = shown.edit
  vim.lsp.util.apply_text_edits({ { range = edit.range, newText = edit.text } }, bufnr, client.offset_encoding)
  if edit.command then
    client:exec_cmd(edit.command, { bufnr = bufnr })
  end
  return true
end

--- Jump to the shown edit, or apply it when the cursor is already on its line.
---@return boolean acted
function M.jump_or_apply()
  local bufnr = vim.api.nvim_get_current_buf()
  local shown = M.current[bufnr]
  if not shown then
    return false
  end
  local start = shown.edit.range.start
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  if row ~= start.line then
    vim.cmd("normal! m'")
    local client = vim.lsp.get_client_by_id(shown.client_id)
    local col = col_of(bufnr, start, client and client.offset_encoding or 'utf-16')
    vim.api.nvim_win_set_cursor(0, { start.line + 1, col })
    return true
  end
  return M.apply(bufnr)
end

--- Turn suggestions on for a buffer: ask after a pause, forget on change.
---@param bufnr integer
---@param delay_ms? integer
function M.attach(bufnr, delay_ms)
  local group = vim.api.nvim_create_augroup('mistral_lsp.next_edit.' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ 'TextChanged', 'TextChangedI', 'InsertLeave' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      M.clear(bufnr)
      local timer = timers[bufnr] or vim.uv.new_timer()
      timers[bufnr] = timer
      timer:stop()
      timer:start(delay_ms or 100, 0, vim.schedule_wrap(function()
        if vim.api.nvim_buf_is_valid(bufnr) and bufnr == vim.api.nvim_get_current_buf() then
          M.request(bufnr)
        end
      end))
    end,
  })
  vim.api.nvim_create_autocmd({ 'BufUnload' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      M.clear(bufnr)
      if timers[bufnr] then
        timers[bufnr]:close()
        timers[bufnr] = nil
      end
    end,
  })
end

vim.keymap.set({ 'n', 'i' }, '<Plug>(mistral-next-edit)', function()
  M.jump_or_apply()
end, { desc = 'Mistral: jump to the next edit, or apply it' })
vim.keymap.set({ 'n', 'i' }, '<Plug>(mistral-next-edit-dismiss)', function()
  M.clear(vim.api.nvim_get_current_buf(), true)
end, { desc = 'Mistral: dismiss the next edit' })

return M
