/*
 * email_imap_login.h - a libcurl handle's TLS and login for a mailbox's IMAP server, in one
 * place for the three that connect: the reader's rounds (email_imap.c), its IDLE connection
 * (email_idle.c) and the sender's copy of a reply to imap_sent (email_sender.c).
 */
#ifndef OMNIQ_EMAIL_IMAP_LOGIN_H
#define OMNIQ_EMAIL_IMAP_LOGIN_H

struct email_mailbox;

/* imaps:// or STARTTLS (imap_tls), the certificate checked unless imap_verify=0, and the
 * login: imap_user with imap_password, or the OAuth2 bearer (XOAUTH2). */
void email_imap_login(void *curl, const struct email_mailbox *b);

#endif
