; Our additions to tree-sitter-c's tags.scm: includes, macros, fields.
(preproc_include path: (_) @src) @import
(preproc_def name: (identifier) @name) @definition.constant
(preproc_function_def name: (identifier) @name) @definition.function
(field_declaration declarator: (field_identifier) @name) @definition.field
(union_specifier name: (type_identifier) @name body: (_)) @definition.struct
