from django.urls import path

from cruxes.views import claims as views

urlpatterns = [
    path("comments/<int:comment_id>/claims/vote/", views.claim_create_vote, name="claim_create_vote"),
    path("comments/<int:comment_id>/claims/mark/", views.claim_mark, name="claim_mark"),
    path("claims/<int:claim_id>/", views.claim_panel, name="claim_panel"),
    path("claims/<int:claim_id>/vote/", views.claim_vote, name="claim_vote"),
    path("claims/<int:claim_id>/candidates/", views.candidate_reason_add, name="candidate_reason_add"),
    path("claims/<int:claim_id>/crux-search/", views.crux_link_search, name="crux_link_search"),
    path("claims/<int:claim_id>/crux-links/", views.crux_link_create, name="crux_link_create"),
    path("votes/<int:vote_id>/withdraw/", views.vote_withdraw, name="vote_withdraw"),
    path("votes/<int:vote_id>/reason/withdraw/", views.reason_withdraw, name="reason_withdraw"),
    path("votes/<int:vote_id>/endorse/", views.reason_endorse, name="reason_endorse"),
    path("candidates/<int:candidate_id>/delete/", views.candidate_reason_delete, name="candidate_reason_delete"),
    path("crux-links/<int:link_id>/delete/", views.crux_link_delete, name="crux_link_delete"),
]
