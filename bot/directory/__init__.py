"""Directories people come from: the chat platforms' address books and LDAP / Active Directory, each read whole
into a `Listing` (bot/directory/base.py) that `bot/directory/plan.py` compares with who pmsbot knows."""
