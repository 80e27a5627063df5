"""Who may read a project (its status, risks, dashboard, trends): the one rule the chat commands, the portfolio
pages and the PMO's digest share."""

from __future__ import annotations

from bot.records import Person, Project


def is_member(person: Person, project: Project) -> bool:
    return person.id in project.members or person.id in project.approvers or "admin" in person.roles


def may_read(person: Person, project: Project) -> bool:
    """Its members, approvers and admins; the people of its department when it says `read: department`;
    everyone when it says `read: everyone`."""
    same_department = project.read == "department" and project.department is not None \
        and person.department == project.department
    return project.read == "everyone" or same_department or is_member(person, project)
