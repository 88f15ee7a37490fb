"""The Google Tag Manager Community Template for Kelisim (template.tpl, built by build.py)."""
