; Our additions to tree-sitter-javascript's tags.scm: imports, fields, top-level variables.
(import_statement source: (string) @src) @import
(export_statement source: (string) @src) @import
((call_expression
  function: (identifier) @_req
  arguments: (arguments . (string) @src)) @import
  (#eq? @_req "require"))

(field_definition property: (property_identifier) @name) @definition.field

(program (lexical_declaration (variable_declarator name: (identifier) @name) @definition.variable))
(program (variable_declaration (variable_declarator name: (identifier) @name) @definition.variable))
(program (export_statement (lexical_declaration (variable_declarator name: (identifier) @name) @definition.variable)))
