-- Code actions: the Mistral actions are offered for a selection, applying one changes the
-- buffer (through the real vim.lsp.buf.code_action path), and the refactor action asks for
-- its instruction with vim.ui.input before the server runs it.
local buf, client = T.ready('calc.py')
if client == nil then
  return
end

-- The `add` function: lines 6-7 (1-based).
local last = vim.api.nvim_buf_get_lines(buf, 6, 7, false)[1]
local range = {
  start = { line = 5, character = 0 },
  ['end'] = { line = 6, character = #last },
}
local params = {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = range,
  context = { diagnostics = {}, triggerKind = 1 },
}
local response = client:request_sync('textDocument/codeAction', params, 20000, buf)
local actions = {}
if response == nil or response.err then
  T.fail('textDocument/codeAction failed: ' .. vim.inspect(response and response.err or 'timeout'))
else
  for _, action in ipairs(response.result or {}) do
    local cmd = action.command
    actions[#actions + 1] = {
      title = action.title,
      kind = action.kind,
      command = type(cmd) == 'table' and cmd.command or cmd,
      has_edit = action.edit ~= nil,
    }
  end
end
T.set('actions', actions)

local function apply(title_prefix)
  vim.lsp.buf.code_action({
    apply = true,
    range = { start = { 6, 0 }, ['end'] = { 7, #last - 1 } },
    filter = function(action)
      return vim.startswith(action.title, title_prefix)
    end,
  })
end

-- 1. "Mistral: Add type annotations" rewrites `add`.
local before = T.text(buf)
apply('Mistral: Add type annotations')
T.wait(30000, function()
  return T.text(buf) ~= before
end, 'the buffer to change after "Add type annotations"')
T.set('after_annotations', T.text(buf))

-- 2. "Mistral: Refactor selection…" asks for an instruction first.
local prompts = {}
vim.ui.input = function(opts, on_confirm)
  prompts[#prompts + 1] = opts.prompt
  on_confirm(T.cfg.instruction)
end
before = T.text(buf)
last = vim.api.nvim_buf_get_lines(buf, 6, 7, false)[1]
apply('Mistral: Refactor selection')
T.wait(30000, function()
  return T.text(buf) ~= before
end, 'the buffer to change after "Refactor selection"')
T.set('prompts', prompts)
T.set('after_refactor', T.text(buf))

-- 3. :MistralRefactor with the instruction on the command line, on line 16 (`area`'s body).
before = T.text(buf)
vim.cmd('16MistralRefactor ' .. T.cfg.instruction)
T.wait(30000, function()
  return T.text(buf) ~= before
end, 'the buffer to change after :MistralRefactor')
T.set('after_command', T.text(buf))

-- 4. :MistralFix sends another tool's diagnostic to the server and applies its fix.
local fix_row
for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
  if line == '    return total / len(values)' then
    fix_row = i
  end
end
if fix_row == nil then
  T.fail('the line to fix is gone')
  return
end
local ns = vim.api.nvim_create_namespace('some_linter')
vim.diagnostic.set(ns, buf, {
  {
    lnum = fix_row - 1,
    col = 4,
    end_lnum = fix_row - 1,
    end_col = 30,
    severity = vim.diagnostic.severity.WARN,
    message = T.cfg.diagnostic,
    source = 'some_linter',
  },
})
vim.api.nvim_win_set_cursor(0, { fix_row, 0 })
before = T.text(buf)
vim.cmd('MistralFix')
T.wait(30000, function()
  return T.text(buf) ~= before
end, 'the buffer to change after :MistralFix')
T.set('after_fix', T.text(buf))

-- 5. "Mistral: Generate tests" creates the test file (a CreateFile + edit in one
--    workspace edit) and fills it.
vim.api.nvim_win_set_cursor(0, { 6, 0 })
apply('Mistral: Generate tests')
local test_buf
T.wait(30000, function()
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    local name = vim.api.nvim_buf_get_name(b)
    if name:match('test_calc%.py$') and T.text(b):find('def test_', 1, true) then
      test_buf = b
      return true
    end
  end
end, 'a test_calc.py buffer with the generated tests')
if test_buf then
  local name = vim.api.nvim_buf_get_name(test_buf)
  T.set('test_file', name:sub(#T.cfg.workspace + 2))
  T.set('test_text', T.text(test_buf))
  T.set('test_file_on_disk', vim.uv.fs_stat(name) ~= nil)
end
