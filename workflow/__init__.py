"""Pure rules of NTM Dossiers: recognition levels, roles, procedures and deadlines.

Nothing here touches a database, a framework or the network.
"""
