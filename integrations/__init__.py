"""Integrations of Kelisim with other products (Google Tag Manager), built from the catalogue."""
