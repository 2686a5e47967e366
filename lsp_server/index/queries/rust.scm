; Our additions to tree-sitter-rust's tags.scm: imports, impl blocks as scopes, fields.
(use_declaration) @import
(mod_item name: (identifier) @src !body) @import

(impl_item type: (_) @name body: (_)) @scope

(field_declaration name: (field_identifier) @name) @definition.field
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.variable
(function_signature_item name: (identifier) @name) @definition.method
