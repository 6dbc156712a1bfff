"""Protected views of the test host: how an API uses oauthhub.contrib."""

from django.http import JsonResponse
from rest_framework.response import Response
from rest_framework.views import APIView

from oauthhub.contrib.django import require_access_token
from oauthhub.contrib.rest_framework import HasAnyScope, HasScope, JWTAuthentication


class WhoAmI(APIView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [HasScope]
    required_scopes = ["read"]

    def get(self, request):
        return Response({"sub": request.user.pk, "client_id": request.user.client_id,
                         "scopes": sorted(request.auth.scopes), "is_client": request.user.is_client})


class ReadOrWrite(APIView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [HasAnyScope]
    required_scopes = ["read", "write"]

    def get(self, request):
        return Response({"ok": True})


class WriteOnly(WhoAmI):
    required_scopes = ["read", "write"]


@require_access_token(scopes=["read"])
def plain_view(request):
    return JsonResponse({"sub": request.user.pk, "jti": request.access_token.jti})
