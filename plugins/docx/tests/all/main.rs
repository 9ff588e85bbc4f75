//! Integration tests of the docx plugin: the document model, validation,
//! the generated packages, and independent readers (python-docx, LibreOffice).

mod model;
