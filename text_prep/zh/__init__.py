"""Chinese: pinyin with polyphones, tone sandhi, G2P to GPT-SoVITS phones."""
