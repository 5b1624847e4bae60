"""REST resource ticket (docs/api.md): trouble tickets.

Opened (`POST /api/v1/ticket/`), read, their description changed (`PUT`), and moved along
their workflow only through their own calls: `transition`, `assign`, `comment`. Status and
SLA fields are read-only; a ticket is never deleted (it is closed). Each user sees the
tickets of their regions' customers.
"""

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect
from marshmallow import Schema, fields, post_dump

from app.api.base import ServiceCallApi, operation
from app.api.schemas import Body, Flag, OneOf, PageArgs, Text, Whole, at_most, column_length
from app.models.tickets import Ticket, TicketCategory, TicketPriority, TicketStatus, TicketTeam
from app.models.types import LARGEST_INTEGER
from app.security import TICKETS
from app.services.care import tickets
from app.services.platform.errors import DomainError
from app.services.platform.scoping import current_region_ids

SUBJECT = at_most(column_length(Ticket, "subject"))
TEXT = at_most(tickets.TEXT_LENGTH)


def _id(description: str, **kwargs) -> Whole:
    return Whole(1, LARGEST_INTEGER, metadata={"description": description}, **kwargs)


class TicketListArgs(PageArgs):
    """Which tickets a list shows."""

    status = Text(validate=OneOf(TicketStatus))
    priority = Text(validate=OneOf(TicketPriority))
    category = Text(validate=OneOf(TicketCategory))
    team = Text(validate=OneOf(TicketTeam))
    breached = Text(validate=OneOf(("true", "false")))
    customer = _id("Only the tickets of this customer (id)", strict=False)
    assignee = _id("Only the tickets assigned to this user (id)", strict=False)


class TicketInput(Body):
    """A customer's problem: a new ticket."""

    customer = _id("Customer id", required=True)
    service = _id("Id of the customer's line it concerns", allow_none=True)
    category = Text(required=True, validate=OneOf(TicketCategory))
    priority = Text(required=True, validate=OneOf(TicketPriority))
    subject = Text(required=True, validate=SUBJECT)
    description = Text(validate=TEXT, load_default="")


class TicketChangeInput(Body):
    """What a ticket is about, changed: the fields given. A new category or priority
    measures it by that pair's SLA target."""

    service = _id("Id of the customer's line it concerns (null: none)", allow_none=True)
    category = Text(validate=OneOf(TicketCategory))
    priority = Text(validate=OneOf(TicketPriority))
    subject = Text(validate=SUBJECT)
    description = Text(validate=TEXT)


class TransitionInput(Body):
    """Where a ticket moves, and why."""

    to = Text(required=True, metadata={"enum": [str(s) for s in TicketStatus]})
    comment = Text(allow_none=True, validate=TEXT)
    public = Flag(metadata={"description": "The comment is for the customer (else internal)"})


class AssignInput(Body):
    """Who works on a ticket: a team, a staff member of the customer's region, or both."""

    team = Text(allow_none=True, validate=OneOf(TicketTeam))
    assignee = _id("User id", allow_none=True)


class CommentInput(Body):
    """A note on a ticket."""

    body = Text(required=True, validate=TEXT)
    public = Flag(metadata={"description": "For the customer to read (else internal)"})


class CommentOutput(Schema):
    """A note in a ticket's thread"""

    id = fields.Integer()
    at = fields.DateTime()
    body = fields.String()
    public = fields.Boolean()
    username = fields.String()


class TicketChangeOutput(Schema):
    """One move of a ticket"""

    at = fields.DateTime()
    from_status = fields.String()
    to_status = fields.String()
    username = fields.String()
    comment = fields.String(attribute="comment.body", allow_none=True, dump_default=None)


class TicketOutput(Schema):
    """A ticket, its SLA, thread and history."""

    id = fields.Integer()
    number = fields.String()
    customer = fields.Integer(attribute="customer_id")
    service = fields.Integer(attribute="service_id", allow_none=True)
    category = fields.String()
    priority = fields.String()
    subject = fields.String()
    description = fields.String()
    status = fields.String()
    allowed = fields.List(fields.String(), metadata={"description": "The moves it may make"})
    team = fields.String(allow_none=True)
    assignee = fields.Integer(attribute="assignee_id", allow_none=True)
    sla_due_at = fields.DateTime(
        allow_none=True, metadata={"description": "Null while the clock stands still"}
    )
    breached = fields.Boolean()
    breached_at = fields.DateTime(allow_none=True)
    escalated_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    comments = fields.List(fields.Nested(CommentOutput))
    history = fields.List(fields.Nested(TicketChangeOutput), attribute="changes")

    @post_dump(pass_original=True)
    def _moves(self, data: dict, ticket: Ticket, **kwargs) -> dict:
        data["allowed"] = tickets.allowed_moves(ticket)
        return data


class TicketAnswer(Schema):
    """The ticket"""

    id = fields.Integer()
    result = fields.Nested(TicketOutput)


class TicketPage(Schema):
    """A page of tickets and how many match in all"""

    count = fields.Integer()
    result = fields.List(fields.Nested(TicketOutput))


def _answer(status: int, ticket: Ticket):
    return status, {"id": ticket.id, "result": ticket}


class TicketApi(ServiceCallApi):
    resource_name = "ticket"
    class_permission_name = TICKETS
    openapi_spec_tag = "Tickets"
    method_permission_name = {
        "get_list": "read",
        "get": "read",
        "post": "write",
        "put": "write",
        "transition": "write",
        "assign": "write",
        "comment": "write",
    }

    find = staticmethod(tickets.get)

    def _changed(self, pk: int, change):
        ticket, refused = self._visible(pk)
        if refused:
            return refused
        try:
            change(ticket)
        except tickets.WorkflowRefused as exc:
            return self.response(422, message={"to": [exc.message]}, allowed=exc.allowed)
        except DomainError as exc:
            return self.refused(exc)
        return _answer(200, ticket)

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @operation(args=TicketListArgs, answers={200: TicketPage})
    def get_list(self, args):
        """List tickets

        Tickets of the user's regions, newest first.
        """
        breached = args.get("breached")
        count, found = tickets.search(
            current_region_ids(),
            status=args.get("status"),
            priority=args.get("priority"),
            category=args.get("category"),
            team=args.get("team"),
            breached=None if breached is None else breached == "true",
            customer_id=args.get("customer"),
            assignee_id=args.get("assignee"),
            page=args["page"],
            page_size=args["page_size"],
        )
        return 200, {"count": count, "result": found}

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @operation(answers={200: TicketAnswer})
    def get(self, pk):
        """Show a ticket

        One ticket with its SLA, comments and history.
        """
        ticket, refused = self._visible(pk)
        return refused or _answer(200, ticket)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @operation(body=TicketInput, answers={201: TicketAnswer})
    def post(self, body):
        """Open a ticket

        For a customer of the user's regions, on one of its lines or none; its SLA clock
        starts and the customer is emailed.
        """
        try:
            ticket = tickets.create(
                body["customer"],
                current_region_ids(),
                category=body["category"],
                priority=body["priority"],
                subject=body["subject"],
                description=body["description"],
                service=body.get("service"),
            )
        except DomainError as exc:
            return self.refused(exc)
        return _answer(201, ticket)

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @operation(body=TicketChangeInput, answers={200: TicketAnswer})
    def put(self, pk, body):
        """Change a ticket

        Its line, category, priority, subject or description; status and SLA move only
        through `transition`.
        """
        return self._changed(pk, lambda ticket: tickets.update(ticket, body))

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    @operation(body=TransitionInput, answers={200: TicketAnswer})
    def transition(self, pk, body):
        """Move a ticket

        Along its workflow, with a comment (internal unless `public`). A move the
        workflow does not allow is 422 with the moves it does allow in `allowed`.
        """
        return self._changed(
            pk,
            lambda ticket: tickets.transition(
                ticket, body["to"], body.get("comment") or "", body.get("public", False)
            ),
        )

    @expose("/<int:pk>/assign", methods=["POST"])
    @protect()
    @safe
    @operation(body=AssignInput, answers={200: TicketAnswer})
    def assign(self, pk, body):
        """Assign a ticket

        To a team, a staff member of the customer's region, or both; a new ticket becomes
        assigned.
        """
        return self._changed(
            pk, lambda ticket: tickets.assign(ticket, body.get("team"), body.get("assignee"))
        )

    @expose("/<int:pk>/comment", methods=["POST"])
    @protect()
    @safe
    @operation(body=CommentInput, answers={200: TicketAnswer})
    def comment(self, pk, body):
        """Comment on a ticket

        Internal, or for the customer to read (`public`).
        """
        return self._changed(
            pk, lambda ticket: tickets.add_comment(ticket, body["body"], body.get("public", False))
        )


def register(appbuilder) -> None:
    appbuilder.add_api(TicketApi)
