; Our additions to tree-sitter-ruby's tags.scm: require calls, constants.
((call
  method: (identifier) @_m
  arguments: (argument_list . (string) @src)) @import
  (#match? @_m "^(require|require_relative|load|autoload)$"))

(assignment left: (constant) @name) @definition.constant
