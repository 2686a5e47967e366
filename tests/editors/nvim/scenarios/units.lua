-- Pure-Lua parts of the plugin, no server: every file loads, no globals leak, ranges are
-- converted to each position encoding, and payloads of the wrong shape are ignored.
local plugin_dir = T.cfg.plugin_dir
local syntax = {}
for _, file in ipairs(vim.fn.globpath(plugin_dir, '**/*.lua', false, true)) do
  local chunk, err = loadfile(file)
  if not chunk then
    syntax[#syntax + 1] = err
  end
end
T.set('syntax_errors', syntax)
T.set('lua_files', #vim.fn.globpath(plugin_dir, '**/*.lua', false, true))

local before = {}
for k in pairs(_G) do
  before[k] = true
end
for _, mod in ipairs({ 'mistral_lsp', 'mistral_lsp.status', 'mistral_lsp.commands', 'mistral_lsp.health' }) do
  require(mod)
end
dofile(plugin_dir .. '/lsp/mistral_lsp.lua')
local leaked = {}
for k in pairs(_G) do
  if not before[k] then
    leaked[#leaked + 1] = k
  end
end
T.set('leaked_globals', leaked)
T.set('commands', {
  vim.fn.exists(':MistralRefactor'),
  vim.fn.exists(':MistralExplain'),
  vim.fn.exists(':MistralStatus'),
  vim.fn.exists(':MistralToggle'),
  vim.fn.exists(':MistralFix'),
})

-- Ranges: a characterwise selection of "é😀" (bytes 5..10) and a linewise range.
local commands = require('mistral_lsp.commands')
local buf = vim.api.nvim_create_buf(true, false)
vim.api.nvim_set_current_buf(buf)
vim.api.nvim_buf_set_lines(buf, 0, -1, false, { "x = 'é😀' + y", 'second' })
vim.cmd.normal({ 'v\27', bang = true })
vim.api.nvim_buf_set_mark(buf, '<', 1, 5, {})
vim.api.nvim_buf_set_mark(buf, '>', 1, 7, {})
local charwise = {}
for _, enc in ipairs({ 'utf-8', 'utf-16', 'utf-32' }) do
  local r = commands.range_for_lines(buf, 1, 1, enc)
  charwise[enc] = { r.start.line, r.start.character, r['end'].line, r['end'].character }
end
T.set('charwise', charwise)
local no_range = commands.range_for_lines(buf, 1, 1, 'utf-16', true)
T.set('no_range', { no_range.start.character, no_range['end'].character })
vim.cmd.normal({ 'V\27', bang = true })
local r = commands.range_for_lines(buf, 1, 2, 'utf-16')
T.set('linewise', { r.start.line, r.start.character, r['end'].line, r['end'].character })

T.set('markdown', {
  commands.markdown_of('a'),
  commands.markdown_of({ value = 'b' }),
  commands.markdown_of({ contents = { kind = 'markdown', value = 'c' } }),
  commands.markdown_of({ markdown = 'd' }),
  commands.markdown_of(42) == nil,
})

local health = require('mistral_lsp.health')
T.set('versions', {
  health.parse_version('mistral-lsp 0.1.0\n'),
  health.parse_version('mistral-lsp v2.10.3'),
  health.parse_version('something else') == nil,
})
T.set('prefixes', {
  health.cli_prefix({ 'mistral-lsp', 'serve' }),
  health.cli_prefix({ 'python', '-m', 'lsp_server', 'serve', '-v' }),
  health.cli_prefix({ 'mistral-lsp' }),
})

-- Malformed notifications change nothing.
local status = require('mistral_lsp.status')
status.on_status(nil, 'ready', { client_id = 99 })
status.on_status(nil, nil, { client_id = 99 })
status.on_status({ code = 1, message = 'x' }, { state = 'ready' }, { client_id = 99 })
T.set('ignored', status.by_client[99] == nil)
status.on_status(nil, { state = 'ready', model = 7 }, { client_id = 99 })
T.set('coerced', status.by_client[99])
-- A client id that no longer exists is not shown.
T.set('dead_client_statusline', status.statusline())

-- The help file: tags build without errors and every |link| resolves.
local docdir = vim.fn.tempname()
vim.fn.mkdir(docdir .. '/doc', 'p')
vim.fn.writefile(vim.fn.readfile(plugin_dir .. '/doc/mistral_lsp.txt'), docdir .. '/doc/mistral_lsp.txt')
local ok_tags, tags_err = pcall(vim.cmd, 'helptags ' .. vim.fn.fnameescape(docdir .. '/doc'))
T.set('helptags_error', not ok_tags and tostring(tags_err) or nil)
vim.opt.runtimepath:append(docdir)
local broken = {}
local text = table.concat(vim.fn.readfile(docdir .. '/doc/mistral_lsp.txt'), '\n')
for link in text:gmatch('|([^|%s]+)|') do
  local ok_help = pcall(vim.cmd.help, link)
  if not ok_help then
    broken[#broken + 1] = link
  end
  pcall(vim.cmd.helpclose)
end
T.set('broken_links', broken)
