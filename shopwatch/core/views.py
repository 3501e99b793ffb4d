from __future__ import annotations

import base64
from typing import Any

import qrcode
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_encode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from qrcode.image.svg import SvgPathImage

from . import health, selectors, services
from .apikeys import apikey_create, apikey_revoke
from .capabilities import Action, can
from .entitlements import NOT_FOUND_MESSAGE, Viewer, viewer_for
from .errors import ServiceError
from .firstpages import estate_sections, health_sections
from .forms import (
    ApiKeyForm,
    MemberAddForm,
    SignInForm,
    StoreAddForm,
    TokenForm,
    add_service_errors,
)
from .models import Organisation, Role, User


def healthz(request: HttpRequest) -> HttpResponse:
    """200 with a JSON body once the app and its database answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where each person starts: a shop worker on the report form, a platform admin on the health page, a
    retail security manager on their estate, police on their queue (a supervisor on the team's work), an
    analyst on the cross-force view of linking, a PCC office on its dashboards, a navigator on their caseload,
    everyone else on the incidents they may see."""
    viewer = viewer_for(request.user)
    if viewer.roles and viewer.roles <= {Role.STORE_REPORTER}:
        return redirect("reporting:incident-new")
    if viewer.platform_admin:
        return redirect("platform-health")  # the task queue, backups, storage, checks, failed hand-offs
    if Role.RETAIL_SECURITY_MANAGER in viewer.roles:
        return redirect("estate")  # their stores with recent incidents, alerts and the police's requests
    if viewer.police_force_ids and Role.POLICE_SUPERVISOR in viewer.roles:
        return redirect("policing:team")  # the team's work: who holds what, what is overdue
    if viewer.police_force_ids and Role.POLICE_INVESTIGATOR in viewer.roles:
        return redirect("policing:queue")
    if Role.ANALYST in viewer.roles:
        return redirect("linking:overview")  # proposals to review, organised groups, prolific offenders
    if viewer.roles and viewer.roles <= {Role.PCC_SCRUTINY}:
        return redirect("insights:index")
    if viewer.roles and viewer.roles <= {Role.NAVIGATOR}:
        return redirect("navigator:caseload")
    return redirect("reporting:incident-list")


@login_required
def estate(request: HttpRequest) -> HttpResponse:
    """A retail security manager's first page: their estate, each part read by the app that holds it."""
    viewer = viewer_for(request.user)
    if Role.RETAIL_SECURITY_MANAGER not in viewer.roles:
        raise Http404(NOT_FOUND_MESSAGE)
    return render(request, "core/estate.html", {"sections": estate_sections.build(viewer, viewer)})


@login_required
def platform_health(request: HttpRequest) -> HttpResponse:
    """A platform admin's first page: is ShopWatch healthy, and what needs them."""
    viewer = viewer_for(request.user)
    if not viewer.platform_admin:
        raise Http404(NOT_FOUND_MESSAGE)
    return render(
        request,
        "core/health.html",
        {**health.health_context(viewer), "sections": health_sections.build(viewer, viewer)},
    )


class SignInView(auth_views.LoginView):
    """Sign in with email and password; a remembered device keeps the 90-day session."""

    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        if not form.cleaned_data.get("remember"):
            # Ends when the browser closes.
            self.request.session.set_expiry(0)
        return response


# --- Helpers -------------------------------------------------------------------------------------


def _safe_next(request: HttpRequest, default: str = "") -> str:
    """The ``next`` the request names, if it stays on this site; otherwise the home page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if (
        candidate
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and not candidate.startswith(reverse("two-factor"))
    ):
        return candidate
    return default or resolve_url(settings.LOGIN_REDIRECT_URL)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- Two-factor ----------------------------------------------------------------------------------


def _qr_svg(data: str) -> str:
    """A QR code as inline SVG (no script, no style attribute: the page's CSP allows neither)."""
    image = qrcode.make(data, image_factory=SvgPathImage, box_size=10, border=2)
    svg: str = image.to_string(encoding="unicode")
    return svg.replace(
        "<svg ",
        '<svg class="qr-code" role="img" aria-labelledby="qr-title" focusable="false" ',
        1,
    ).replace(">", '><title id="qr-title">QR code to add ShopWatch to your authenticator app</title>', 1)


def _grouped_secret(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app (first time), or type a code from it (every new sign-in)."""
    user = _user(request)
    next_url = _safe_next(request)
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(next_url)
    viewer = viewer_for(user)
    confirmed = services.totp_device_for(user=user, confirmed=True)
    form = TokenForm(request.POST or None)
    if confirmed is not None:
        if request.method == "POST" and form.is_valid():
            try:
                device = services.totp_device_verify(user=user, token=form.cleaned_data["token"])
            except ServiceError as exc:
                add_service_errors(form, exc.errors)
            else:
                otp_login(request, device)
                return redirect(next_url)
        return render(request, "core/two_factor_verify.html", {"form": form, "next": next_url})

    device = services.totp_device_start(viewer=viewer, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_device_confirm(
                viewer=viewer, device=device, token=form.cleaned_data["token"]
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            otp_login(request, device)
            messages.success(request, "Two-factor sign-in is set up. You will need a code at each sign-in.")
            return redirect(next_url)
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308 - generated by qrcode from our own URL
        "secret": _grouped_secret(device),
    }
    return render(request, "core/two_factor_setup.html", context)


# --- API keys ------------------------------------------------------------------------------------


@never_cache
@login_required
def api_keys(request: HttpRequest) -> HttpResponse:
    """The user's keys; a new key's secret is shown on this response only."""
    user = _user(request)
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            new_key = apikey_create(viewer=viewer_for(user), user=user, name=form.cleaned_data["name"])
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            form = ApiKeyForm()
    status = 422 if form.errors else 200
    context = {"form": form, "keys": selectors.apikey_list(user=user), "new_key": new_key}
    return render(request, "core/api_keys.html", context, status=status)


@never_cache
@login_required
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    key = get_object_or_404(selectors.apikey_list(user=user), pk=pk)
    if request.method == "POST":
        apikey_revoke(viewer=viewer_for(user), api_key=key)
        messages.success(request, f"The key '{key.name}' is revoked. Systems using it can no longer connect.")
        return redirect("api-keys")
    return render(request, "core/api_key_revoke.html", {"key": key})


# --- Setting a password from a link -------------------------------------------------------------


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """Someone added by their partnership sets their first password (also used for resets)."""

    template_name = "registration/set_password.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password is set. Sign in with your email address and password.")
        return response


def set_password_link(request: HttpRequest, user: User) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return request.build_absolute_uri(reverse("set-password", kwargs={"uidb64": uidb64, "token": token}))


# --- Partnership manager screens ----------------------------------------------------------------


def _partnership_context(
    request: HttpRequest, slug: str, section: str
) -> tuple[Viewer, Organisation, dict[str, Any]]:
    viewer = viewer_for(request.user)
    partnership = selectors.managed_partnership_get(viewer=viewer, slug=slug)
    return viewer, partnership, {"partnership": partnership, "section": section}


@login_required
def partnership_index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    partnerships = list(selectors.managed_partnerships(viewer=viewer).order_by("name"))
    if not partnerships:
        raise Http404(NOT_FOUND_MESSAGE)
    return render(request, "core/partnership_index.html", {"partnerships": partnerships})


@never_cache
@login_required
def store_role_consents(request: HttpRequest) -> HttpResponse:
    """Store roles partnership managers proposed at the viewer's stores, to confirm or refuse (the retailer's
    consent: the store's manager or the retailer's security manager)."""
    viewer = viewer_for(request.user)
    if not can(viewer, Action.GRANT_STORE_ROLE):
        raise Http404(NOT_FOUND_MESSAGE)
    error = ""
    if request.method == "POST":
        raw = request.POST.get("membership", "")
        decision = request.POST.get("decision", "")
        try:
            if not raw.isdigit() or decision not in ("consent", "refuse"):
                raise Http404(NOT_FOUND_MESSAGE)
            membership = services.membership_consent(
                viewer=viewer, membership_id=int(raw), consent=decision == "consent"
            )
        except ServiceError as exc:
            error = " ".join(e.message for e in exc.errors)
        else:
            verb = "is now" if membership.active else "will not be"
            messages.success(
                request,
                f"{membership.user.email} {verb} a {membership.get_role_display().lower()} at "
                f"{membership.store.name if membership.store else ''}.",
            )
            return redirect("store-role-consents")
    waiting = selectors.memberships_awaiting_consent(viewer=viewer)
    return render(
        request,
        "core/store_role_consents.html",
        {"waiting": waiting, "error": error},
        status=422 if error else 200,
    )


@login_required
def partnership_members(request: HttpRequest, slug: str) -> HttpResponse:
    viewer, partnership, context = _partnership_context(request, slug, "members")
    show = request.GET.get("show", "active")
    members = selectors.partnership_members(viewer=viewer, partnership=partnership)
    if show != "all":
        members = members.filter(active=True)
    context.update({"members": members, "show_all": show == "all"})
    return render(request, "core/partnership_members.html", context)


@never_cache
@login_required
def partnership_member_add(request: HttpRequest, slug: str) -> HttpResponse:
    viewer, partnership, context = _partnership_context(request, slug, "members")
    stores = list(selectors.partnership_stores(viewer=viewer, partnership=partnership).filter(active=True))
    form = MemberAddForm(request.POST or None, stores=stores)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = services.membership_add(
                viewer=viewer,
                partnership=partnership,
                store_id=data["store"],
                email=data["email"],
                full_name=data["full_name"],
                role=data["role"],
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            context.update(
                {
                    "added": added,
                    "link": set_password_link(request, added.user) if added.new_user else "",
                }
            )
            return render(request, "core/partnership_member_added.html", context)
    context.update({"form": form, "stores": stores})
    return render(request, "core/partnership_member_add.html", context, status=422 if form.errors else 200)


@login_required
def partnership_member_deactivate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    viewer, partnership, context = _partnership_context(request, slug, "members")
    members = selectors.partnership_members(viewer=viewer, partnership=partnership)
    membership = get_object_or_404(members, pk=pk)
    error = ""
    if request.method == "POST":
        try:
            services.membership_deactivate(
                viewer=viewer, partnership=partnership, membership_id=membership.pk
            )
        except ServiceError as exc:
            error = " ".join(e.message for e in exc.errors)
        else:
            where = f" at {membership.store.name}" if membership.store else ""
            messages.success(
                request,
                f"{membership.user.full_name or membership.user.email} is no longer a "
                f"{membership.get_role_display().lower()}{where}.",
            )
            return redirect("partnership-members", slug=partnership.slug)
    context.update({"membership": membership, "error": error})
    return render(request, "core/partnership_member_deactivate.html", context, status=422 if error else 200)


def _stores_page(
    request: HttpRequest,
    viewer: Viewer,
    partnership: Organisation,
    context: dict[str, Any],
    form: StoreAddForm,
) -> HttpResponse:
    context.update(
        {"stores": selectors.partnership_stores(viewer=viewer, partnership=partnership), "form": form}
    )
    return render(request, "core/partnership_stores.html", context, status=422 if form.errors else 200)


@login_required
def partnership_stores(request: HttpRequest, slug: str) -> HttpResponse:
    viewer, partnership, context = _partnership_context(request, slug, "stores")
    candidates = selectors.partnership_store_candidates(viewer=viewer, partnership=partnership)
    form = StoreAddForm(request.POST or None, stores=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            store = services.partnership_store_add(
                viewer=viewer, partnership=partnership, store_id=form.cleaned_data["store"]
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"{store.name} is now part of {partnership.name}.")
            return redirect("partnership-stores", slug=partnership.slug)
    return _stores_page(request, viewer, partnership, context, form)


@login_required
def partnership_store_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    viewer, partnership, context = _partnership_context(request, slug, "stores")
    store = get_object_or_404(selectors.partnership_stores(viewer=viewer, partnership=partnership), pk=pk)
    if request.method == "POST":
        services.partnership_store_remove(viewer=viewer, partnership=partnership, store_id=store.pk)
        messages.success(request, f"{store.name} is no longer part of {partnership.name}.")
        return redirect("partnership-stores", slug=partnership.slug)
    context.update({"store": store})
    return render(request, "core/partnership_store_remove.html", context)


@login_required
def partnership_audit(request: HttpRequest, slug: str) -> HttpResponse:
    viewer, partnership, context = _partnership_context(request, slug, "audit")
    limit = 200
    trail = selectors.audit_trail_for_partnership(viewer=viewer, partnership_id=partnership.pk, limit=limit)
    events = list(trail)
    context.update({"events": events, "limit": limit, "truncated": len(events) == limit})
    return render(request, "core/partnership_audit.html", context)
