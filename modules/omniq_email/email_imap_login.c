/*
 * email_imap_login.c - see email_imap_login.h.
 */
#include <curl/curl.h>

#include "email_imap_login.h"
#include "email_mailbox.h"

void email_imap_login(void *handle, const email_mailbox_t *b)
{
	CURL *c = handle;

	curl_easy_setopt(c, CURLOPT_USE_SSL, b->imap_starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, b->imap_verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, b->imap_verify ? 2L : 0L);
	curl_easy_setopt(c, CURLOPT_USERNAME, b->imap_user);
	if(b->imap_bearer[0]) {
		curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, b->imap_bearer);
		curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
	} else
		curl_easy_setopt(c, CURLOPT_PASSWORD, b->imap_password);
}
