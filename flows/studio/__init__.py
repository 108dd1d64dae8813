"""``bookvoice studio``: a local web app to review a rendered book sentence by sentence and fix what is wrong."""
