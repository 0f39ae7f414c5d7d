from django.shortcuts import render

from evqms.web import selectors


def dashboard(request):
    return render(request, "web/dashboard.html", {"cards": selectors.dashboard_cards(request.user)})
