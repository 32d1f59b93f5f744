"""What people are told and when: obligations and reminders computed from dossiers and deadline rules,
the outbox, rendering, delivery over SMTP, and the scheduler process. Reads `dossiers`; never imported by it.
"""
