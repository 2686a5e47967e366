; Our additions to the joined JavaScript + TypeScript tags.scm.
(import_statement source: (string) @src) @import
(export_statement source: (string) @src) @import
((call_expression
  function: (identifier) @_req
  arguments: (arguments . (string) @src)) @import
  (#eq? @_req "require"))

(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.enum
(internal_module name: (identifier) @name) @definition.namespace
(public_field_definition name: (property_identifier) @name) @definition.field
(interface_body (property_signature name: (property_identifier) @name) @definition.property)
(type_alias_declaration
  value: (object_type (property_signature name: (property_identifier) @name) @definition.property))

(program (lexical_declaration (variable_declarator name: (identifier) @name) @definition.variable))
(program (variable_declaration (variable_declarator name: (identifier) @name) @definition.variable))
(program (export_statement (lexical_declaration (variable_declarator name: (identifier) @name) @definition.variable)))
