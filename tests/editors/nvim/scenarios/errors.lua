-- When the endpoint refuses, the user is told and the buffer stays as it was.
local buf, client = T.ready('calc.py')
if client == nil then
  return
end
local before = T.text(buf)
local refactor_err
require('mistral_lsp.commands').refactor({
  bufnr = buf,
  line1 = 6,
  line2 = 7,
  range = 2,
  instruction = 'make it faster',
  on_done = function(err)
    refactor_err = err or false
  end,
})
T.wait(30000, function()
  return refactor_err ~= nil
end, 'the refactor to fail')
T.set('refactor_error', refactor_err and refactor_err.message or nil)
T.set('unchanged', T.text(buf) == before)

local explain_err
require('mistral_lsp.commands').explain({
  bufnr = buf,
  line1 = 6,
  line2 = 7,
  range = 2,
  on_done = function(err)
    explain_err = err or false
  end,
})
T.wait(30000, function()
  return explain_err ~= nil
end, 'the explanation to fail')
T.set('explain_error', explain_err and explain_err.message or nil)
local floats = 0
for _, win in ipairs(vim.api.nvim_list_wins()) do
  if vim.api.nvim_win_get_config(win).relative ~= '' then
    floats = floats + 1
  end
end
T.set('floats', floats)
