/* Fake Top.Mail.Ru dynamic goal configuration (Kelisim demo): no goals are configured. */
window._tmr_dyn_goals = window._tmr_dyn_goals || [];
