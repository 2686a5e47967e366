-- The statusline component and :MistralStatus follow `mistral/status`; :MistralToggle reaches
-- the server.
T.setup()
local events = {}
vim.api.nvim_create_autocmd('User', {
  pattern = 'MistralStatus',
  callback = function(ev)
    events[#events + 1] = ev.data.state
  end,
})
vim.o.laststatus = 2
vim.o.statusline = "%f %{%v:lua.require'mistral_lsp'.statusline()%}"
T.set('before', require('mistral_lsp').statusline())

local buf = T.open('calc.py')
local client = T.client(buf)
T.wait_state('ready', 30000)
T.set('statusline', require('mistral_lsp').statusline())
T.set('statusline_model', require('mistral_lsp').statusline({ model = true }))
T.set('statusline_host', require('mistral_lsp').statusline({ host = true, model = true }))
T.set('rendered', vim.api.nvim_eval_statusline(vim.o.statusline, {}).str)
T.set('events', events)
T.set('status', require('mistral_lsp').status())

local lines
vim.cmd('MistralStatus')
require('mistral_lsp.commands').show_status(function(l)
  lines = l
end)
T.wait(10000, function()
  return lines
end, ':MistralStatus output')
T.set('status_lines', lines)

local toggled
require('mistral_lsp.commands').toggle(function(results)
  toggled = results
end)
T.wait(10000, function()
  return toggled
end, ':MistralToggle reply')
T.set('toggle_result', toggled and client and toggled[client.id])
T.set('after_toggle', require('mistral_lsp').statusline())
-- Toggle back on.
toggled = nil
require('mistral_lsp.commands').toggle(function(results)
  toggled = results
end)
T.wait(10000, function()
  return toggled
end, 'the second :MistralToggle reply')
T.set('toggle_again', toggled and client and toggled[client.id])
T.set('after_toggle_again', require('mistral_lsp').statusline())

-- Settings changed at run time reach the server, which reports the new model.
require('mistral_lsp').update_settings({ models = { completion = 'codestral-test-model' } })
T.wait(10000, function()
  local st = require('mistral_lsp').status()
  return st and st.model == 'codestral-test-model'
end, 'the new model in mistral/status after update_settings')
T.set('model_after_update', require('mistral_lsp').status().model)

-- Every state the server may send has a label (fed through the client's own handler).
local labels = {}
for _, state in ipairs({ 'starting', 'indexing', 'ready', 'offline', 'error', 'disabled' }) do
  client.handlers['mistral/status'](nil, { state = state, message = 'm' }, {
    client_id = client.id,
    method = 'mistral/status',
  })
  labels[state] = require('mistral_lsp').statusline()
end
T.set('labels', labels)

-- Once the server stops, the component goes quiet.
client:stop(true)
T.wait(10000, function()
  return require('mistral_lsp').statusline() == ''
end, 'the statusline to clear after the server stopped')
T.set('after_stop', require('mistral_lsp').statusline())
