"""Pages a visitor reaches on the CMP host: the consent receipt and the no-JS preferences form."""
