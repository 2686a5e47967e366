; Our additions to tree-sitter-python's tags.scm: imports, class and instance attributes.
(import_statement) @import
(import_from_statement) @import

(class_definition
  body: (block
    (expression_statement
      (assignment left: (identifier) @name) @definition.field)))

((assignment
  left: (attribute
    object: (identifier) @_self
    attribute: (identifier) @name)) @definition.field
  (#eq? @_self "self"))
