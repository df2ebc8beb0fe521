from django.http import HttpResponse


def thread_list(request):  # replaced by the discussion pages
    return HttpResponse("threads")


def thread_detail(request, thread_id: int):
    return HttpResponse("thread")
