"""Drawing a computational graph of bplib.autodiff.Value nodes (chapter 1)."""

__all__: list[str] = []
