"""What people are told and when: reminders of the obligations `dossiers.planning` stores (who is told,
escalations), the outbox, rendering, delivery over SMTP, and the scheduler process. Reads `dossiers`;
never imported by it.
"""
