; Our additions to tree-sitter-cpp's tags.scm: includes, macros, namespaces, fields.
(preproc_include path: (_) @src) @import
(preproc_def name: (identifier) @name) @definition.constant
(preproc_function_def name: (identifier) @name) @definition.function
(field_declaration declarator: (field_identifier) @name) @definition.field
(namespace_definition name: (namespace_identifier) @name) @definition.namespace
