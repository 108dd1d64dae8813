"""The render pipeline: planning chapters, the book-wide synthesis session, assembly as sentences land."""
