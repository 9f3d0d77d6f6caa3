/*
 * wechat_vectors.h - WeChat's published sample values, shared by the WeChat unit tests.
 */
#ifndef OQ_WECHAT_VECTORS_H
#define OQ_WECHAT_VECTORS_H

/* The Official Account sample: Token spamtest, EncodingAESKey
 * abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG, AppID wx2c2769f8efd9abc2, timestamp
 * 1409735669, nonce 1320562132: a 280-byte text message "abcdteT". */
#define OA_ENCRYPT                                                                              \
	"hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PG" \
	"HQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6" \
	"tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp" \
	"3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQ" \
	"l+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="

#endif
