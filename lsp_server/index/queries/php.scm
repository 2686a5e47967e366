; Our additions to tree-sitter-php's tags.scm: use declarations, includes, enums, constants.
(namespace_use_declaration) @import
(include_expression) @import
(include_once_expression) @import
(require_expression) @import
(require_once_expression) @import

(enum_declaration name: (name) @name) @definition.enum
(const_declaration (const_element (name) @name)) @definition.constant
