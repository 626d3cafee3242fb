"""The Leadflow language server (`leadflow lsp`): diagnostics, completion and
hover for editors, over the Language Server Protocol. `analysis`,
`completion` and `hover` know nothing of the protocol; `convert` and
`server` do."""
