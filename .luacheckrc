-- luacheck for the Neovim plugin (editors/nvim) and the Lua test scenarios.
std = "luajit"
globals = { "vim" }
max_line_length = 120
exclude_files = { "editors/vscode/node_modules/**" }
-- The test harness (tests/editors/nvim/init.lua) hands every scenario its helper table `T`.
files["tests/editors/nvim/scenarios"] = { read_globals = { "T" }, max_line_length = false }
files["tests/editors/nvim/init.lua"] = { globals = { "T" } }
